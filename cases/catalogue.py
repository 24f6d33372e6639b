"""The starting 事项清单 (DOMAIN.md): the service list, assistance applications and problem types, with
time limits after Beijing's 12345 standard. Staff change them in the admin afterwards.

Migration cases/0002 seeds it; the demo and the tests seed it again into a database emptied since (a
transactional test empties every table), adding only what is missing.
"""

# name, kind, default urgency, response hours, resolution hours
CATALOGUE = [
    ("下水疏通", "service", "urgent", 24, 72),
    ("陪同就医", "service", "general", 24, 72),
    ("送餐送药", "service", "general", 24, 48),
    ("上门认证", "service", "general", 72, 168),
    ("临时救助", "assistance", "complex", 72, 360),
    ("环境卫生", "problem", "general", 24, 168),
    ("乱停放", "problem", "general", 24, 168),
    ("市容秩序", "problem", "general", 24, 168),
    ("门前三包", "problem", "general", 24, 168),
    ("邻里纠纷", "problem", "complex", 72, 360),
    ("房屋设施", "problem", "general", 24, 168),
    ("水电气暖", "problem", "urgent", 24, 24),
    ("安全隐患", "problem", "emergency", 2, 24),
    ("政策咨询", "problem", "general", 24, 72),
]


# Not offered on the residents' own pages: an assistance application and an identity check need the desk.
STAFF_ONLY = {"临时救助", "上门认证"}


def seed(apps) -> None:
    """Add the catalogue's categories that are missing, through `apps` (a migration's or the live registry).

    A category already there, perhaps edited by staff, is left as it is.
    """
    category_model = apps.get_model("cases", "Category")
    # Migration 0002 seeds through a Category that has no for_residents yet; 0017 sets it.
    with_residents = any(f.name == "for_residents" for f in category_model._meta.get_fields())
    for order, (name, kind, urgency, response, resolution) in enumerate(CATALOGUE, start=1):
        defaults = {
            "kind": kind,
            "default_urgency": urgency,
            "response_hours": response,
            "resolution_hours": resolution,
            "sort_order": order * 10,
        }
        if with_residents:
            defaults["for_residents"] = name not in STAFF_ONLY
        category_model.objects.get_or_create(name=name, defaults=defaults)
