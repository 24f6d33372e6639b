"""What the 12345 tests share: a key, a work order posted as the platform posts it."""

from django.urls import reverse

from hotline import services

FIELDS_OF_A_REQUEST = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}


def make_key(place, *, name="12345市民服务热线", callback_url=""):
    """A key scoped to a community or a street; returns (client, key)."""
    level = "community" if place.__class__.__name__ == "Community" else "street"
    return services.client_create(name=name, callback_url=callback_url, **{level: place})


def order_data(grid, category, order_id="GD20261201001", **changes) -> dict:
    data = {
        "service_code": str(category.pk),
        "attribute[order_id]": order_id,
        "address_id": grid.code,
        "address_string": "滨河路12号楼下",
        "description": "楼下垃圾三天未清运，气味很大。",
        "last_name": "王",
        "first_name": "女士",
        "phone": "13800005678",
        "lat": "36.061",
        "long": "103.834",
    }
    data.update(changes)
    return data


def post_order(client, key, grid, category, fmt="json", **changes):
    return client.post(
        reverse("open311:requests", args=[fmt]), order_data(grid, category, **changes), HTTP_X_API_KEY=key
    )
