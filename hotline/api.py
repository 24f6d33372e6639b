"""The Open311 GeoReport v2 API for the city's 12345 platform (django-ninja), JSON and XML.

    GET  services.{json|xml}                 the catalogue: the active categories (service_code = its id)
    GET  services/{service_code}.{json|xml}  its definition: the attributes a work order carries
    POST requests.{json|xml}                 a work order -> a case (channel 12345, 待受理)
    GET  requests.{json|xml}                 the key's own work orders, filtered as the spec says
    GET  requests/{service_request_id}.{json|xml}

Every call passes `gated` (hotline/urls.py wraps each view): the key (`api_key` parameter, as the spec
has it, or an `X-API-Key` header) is checked (none or unknown: 401, revoked: 403), throttled (429) and
the call recorded. Errors have the spec's shape, `[{"code": 400, "description": "…"}]` or
`<errors><error><code>…`. Personal data never leaves: no requester, no staff, no phone.

The place of a work order is `address_id`: a grid's code (网格编号) in the key's scope, or the code, a
colon and one of the grid's building ids (`JCG-01:17`); `address_string` is kept as the case's address.
The platform's own order id is the attribute `order_id` (`attribute[order_id]`, required, unique per key:
sending it again returns the request it made, not a second one).
"""

import datetime
import functools
import json
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import APIKeyQuery
from pydantic import BaseModel, Field

from cases.models import Category, Status, Urgency

from . import open311_xml, selectors, services
from .models import ApiClient, open311_status

FORMATS = ("json", "xml")
# GeoReport v2: without dates, GET requests covers the last 90 days.
DEFAULT_DAYS = 90
TEXT_LIMITS = {
    "attribute[order_id]": 64,
    "service_code": 18,
    "address_id": 64,
    "description": 2000,
    "address_string": 200,
    "first_name": 25,
    "last_name": 25,
    "phone": 20,
    "email": 254,
    "device_id": 64,
    "account_id": 64,
    "jurisdiction_id": 64,
    "media_url": 500,
    "attribute[urgency]": 16,
    "lat": 32,
    "long": 32,
    "api_key": 200,
}
REQUIRED = ("attribute[order_id]", "service_code", "address_id", "description")


class BadRequest(Exception):
    """A payload the spec's 400 answers."""


# --- responses in the asked format ------------------------------------------------------------------------


def format_of(request: HttpRequest) -> str:
    return "xml" if request.path.endswith(".xml") else "json"


def errors(request: HttpRequest, status: int, description: str) -> HttpResponse:
    """The spec's error shape, in the format the URL asks for."""
    rows = [{"code": status, "description": description}]
    if format_of(request) == "xml":
        return _xml(open311_xml.render("errors", "error", rows), status)
    return _json(rows, status)


def _json(data, status: int = 200) -> HttpResponse:
    return JsonResponse(data, status=status, safe=False, json_dumps_params={"ensure_ascii": False})


def _xml(body: bytes, status: int = 200) -> HttpResponse:
    return HttpResponse(body, status=status, content_type="text/xml; charset=utf-8")


def _answer(request: HttpRequest, fmt: str, root: str, item: str | None, data) -> HttpResponse:
    if fmt not in FORMATS:
        raise Http404
    if fmt == "xml":
        return _xml(open311_xml.render(root, item, data))
    return _json(data)


# --- the key, the throttle and the call log: around every view ----------------------------------------


def _presented_key(request: HttpRequest) -> str:
    key = request.headers.get("X-API-Key") or request.GET.get("api_key") or ""
    if not key and request.method == "POST":
        key = request.POST.get("api_key", "")
    return key[: TEXT_LIMITS["api_key"]]


def gated(view: Callable) -> Callable:
    """Check the key, throttle and record the call; the view runs only for a live key within its limit."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        client: ApiClient | None = None
        prefix = ""
        status = 500
        try:
            try:
                key = _presented_key(request)
            except (RequestDataTooBig, TooManyFieldsSent, SuspiciousOperation):
                response = errors(request, 400, "请求内容过大或格式错误。")
                status = response.status_code
                return response
            prefix = services.key_prefix(key)
            check = selectors.key_check(key, prefix)
            client = check.client
            if client is None:
                response = errors(request, 401, "缺少或无效的 api_key。")
            elif not check.valid:
                response = errors(request, 403, "该 api_key 已吊销。")
            elif selectors.throttled(client):
                response = errors(request, 429, "调用过于频繁，请稍后再试。")
                response["Retry-After"] = "60"
            else:
                request.api_client = client  # type: ignore[attr-defined]
                response = view(request, *args, **kwargs)
            status = response.status_code
            return response
        finally:
            services.call_record(
                client=client,
                key_prefix=prefix,
                method=request.method or "",
                path=request.path,
                status=status,
                remote_addr=request.META.get("REMOTE_ADDR"),
            )

    # The platform signs in with its key, not a session: no login page, no CSRF cookie (and, with no
    # session, no second factor).
    return csrf_exempt(login_not_required(wrapper))


class ApiKey(APIKeyQuery):
    """The key as the OpenAPI document describes it; `gated` has already checked it."""

    param_name = "api_key"

    def authenticate(self, request: HttpRequest, key: str | None) -> ApiClient | None:
        return getattr(request, "api_client", None)


api = NinjaAPI(
    title="12345 Open311 GeoReport v2",
    version="v2",
    description=__doc__,
    urls_namespace="open311",
    auth=ApiKey(),
)


@api.exception_handler(NinjaValidationError)
def _invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    return errors(request, 400, "参数格式错误。")


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return errors(request, 404, "未找到。")


@api.exception_handler(BadRequest)
def _bad_request(request: HttpRequest, exc: BadRequest) -> HttpResponse:
    return errors(request, 400, str(exc))


@api.exception_handler(services.WorkOrderRefused)
def _refused(request: HttpRequest, exc: services.WorkOrderRefused) -> HttpResponse:
    return errors(request, 400, str(exc))


# --- schemas: the OpenAPI document's description of each answer ------------------------------------------


class ServiceOut(BaseModel):
    service_code: str
    service_name: str
    description: str
    metadata: bool
    type: str
    keywords: str
    group: str


class AttributeValueOut(BaseModel):
    key: str
    name: str


class AttributeOut(BaseModel):
    variable: bool
    code: str
    datatype: str
    required: bool
    datatype_description: str
    order: int
    description: str
    values: list[AttributeValueOut]


class ServiceDefinitionOut(BaseModel):
    service_code: str
    attributes: list[AttributeOut]


class RequestOut(BaseModel):
    service_request_id: str
    status: str
    status_notes: str
    service_name: str
    service_code: str
    description: str
    agency_responsible: str
    service_notice: str
    requested_datetime: str
    updated_datetime: str
    expected_datetime: str | None
    address: str
    address_id: str
    zipcode: str
    lat: float | None
    long: float | None
    media_url: str


class CreatedOut(BaseModel):
    service_request_id: str
    service_notice: str
    account_id: str


class ErrorOut(BaseModel):
    code: int
    description: str


class OrderForm(BaseModel):
    """POST requests: form-encoded as the spec has it (a JSON object of the same fields is taken too)."""

    api_key: str | None = None
    service_code: str
    order_id: str = Field(alias="attribute[order_id]", description="平台工单号（每个密钥内唯一）")
    address_id: str = Field(description="网格编号，或 网格编号:楼栋编号")
    description: str
    address_string: str | None = None
    lat: float | None = None
    long: float | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    urgency: str | None = Field(None, alias="attribute[urgency]", description="、".join(Urgency.values))


ERRORS = {
    400: list[ErrorOut],
    401: list[ErrorOut],
    403: list[ErrorOut],
    404: list[ErrorOut],
    429: list[ErrorOut],
}


# --- services -------------------------------------------------------------------------------------------


def _service(category: Category) -> dict:
    return {
        "service_code": str(category.pk),
        "service_name": category.name,
        "description": category.name,
        "metadata": True,
        "type": "realtime",
        "keywords": "",
        "group": str(Category.Kind(category.kind).label),
    }


def _definition(category: Category) -> dict:
    return {
        "service_code": str(category.pk),
        "attributes": [
            {
                "variable": True,
                "code": "order_id",
                "datatype": "string",
                "required": True,
                "datatype_description": "平台工单号：字母、数字和 . _ : -，最长 64 位",
                "order": 1,
                "description": "12345平台工单号",
                "values": [],
            },
            {
                "variable": True,
                "code": "urgency",
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": "",
                "order": 2,
                "description": f"紧急程度（默认：{Urgency(category.default_urgency).label}）",
                "values": [{"key": value, "name": str(label)} for value, label in Urgency.choices],
            },
        ],
    }


@api.get("/services.{fmt}", response={200: list[ServiceOut], **ERRORS}, url_name="services")
def service_list(request: HttpRequest, fmt: str):
    """事项清单: the active categories."""
    categories = Category.objects.filter(active=True)
    return _answer(request, fmt, "services", "service", [_service(c) for c in categories])


@api.get(
    "/services/{service_code}.{fmt}",
    response={200: ServiceDefinitionOut, **ERRORS},
    url_name="service_definition",
)
def service_definition(request: HttpRequest, service_code: str, fmt: str):
    """A service's definition: the attributes its work orders carry."""
    try:
        category = services.service_for(service_code)
    except services.WorkOrderRefused:
        raise Http404 from None
    return _answer(request, fmt, "service_definition", None, _definition(category))


# --- requests ---------------------------------------------------------------------------------------------


def _iso(moment: datetime.datetime | None) -> str | None:
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment is not None else None


def _updated(row: selectors.RequestRow) -> datetime.datetime:
    moments = (
        row.created_at,
        row.accepted_at,
        row.taken_at,
        row.escalated_at,
        row.resolved_at,
        row.followed_up_at,
        row.closed_at,
    )
    return max(m for m in moments if m is not None)


def _request(row: selectors.RequestRow) -> dict:
    """One request as GeoReport v2 has it; nothing of the requester or of the staff who handle it."""
    return {
        "service_request_id": row.number,
        "status": open311_status(row),
        "status_notes": services.status_notes(row),
        "service_name": row.category_name,
        "service_code": str(row.category_id),
        "description": row.description,
        "agency_responsible": row.community_name,
        "service_notice": "",
        "requested_datetime": _iso(row.received_at),
        "updated_datetime": _iso(_updated(row)),
        "expected_datetime": _iso(row.resolution_due),
        "address": row.place,
        "address_id": row.address_id,
        "zipcode": "",
        "lat": float(row.lat) if row.lat is not None else None,
        "long": float(row.long) if row.long is not None else None,
        "media_url": "",
    }


def _when(text: str, name: str) -> datetime.datetime:
    """A GeoReport date parameter (ISO 8601: a time with or without zone, or a day)."""
    try:
        moment = parse_datetime(text)
        if moment is None and (day := parse_date(text)) is not None:
            moment = datetime.datetime.combine(day, datetime.time())
    except ValueError:
        moment = None
    if moment is None:
        raise BadRequest(f"{name} 应为 ISO 8601 时间。")
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _param(request: HttpRequest, name: str, limit: int = 2000) -> str:
    value = request.GET.get(name, "")
    if len(value) > limit or services.has_control_characters(value):
        raise BadRequest(f"{name} 格式错误。")
    return value.strip()


@api.get("/requests.{fmt}", response={200: list[RequestOut], **ERRORS}, url_name="requests")
def request_list(request: HttpRequest, fmt: str):
    """The key's own work orders: by `service_request_id` (comma-separated; the other filters are then
    ignored, as the spec says), else by `service_code`, `status` (open, closed), `start_date` and `end_date`
    (the last 90 days by default); newest first, at most 1,000."""
    if fmt not in FORMATS:
        raise Http404
    orders = selectors.work_orders_of(request.api_client)  # type: ignore[attr-defined]
    ids = [part.strip() for part in _param(request, "service_request_id").split(",") if part.strip()]
    if ids:
        if len(ids) > 100:
            raise BadRequest("service_request_id 最多 100 个。")
        orders = orders.filter(case__number__in=ids)
    else:
        if code := _param(request, "service_code", 200):
            codes = [c.strip() for c in code.split(",")]
            if not all(c.isascii() and c.isdigit() and len(c) <= 18 for c in codes):
                raise BadRequest("service_code 格式错误。")
            orders = orders.filter(case__category_id__in=[int(c) for c in codes])
        if status := _param(request, "status", 50):
            wanted = {s.strip() for s in status.split(",")}
            if not wanted <= {"open", "closed"}:
                raise BadRequest("status 只能是 open 或 closed。")
            if wanted == {"open"}:
                orders = orders.exclude(case__status=Status.CLOSED)
            elif wanted == {"closed"}:
                orders = orders.filter(case__status=Status.CLOSED)
        end = _when(e, "end_date") if (e := _param(request, "end_date", 64)) else None
        start = _when(s, "start_date") if (s := _param(request, "start_date", 64)) else None
        if start is None and end is None:
            start = timezone.now() - datetime.timedelta(days=DEFAULT_DAYS)
        if start is not None:
            orders = orders.filter(received_at__gte=start)
        if end is not None:
            orders = orders.filter(received_at__lte=end)
    rows = [_request(row) for row in selectors.request_rows(orders)]
    return _answer(request, fmt, "service_requests", "request", rows)


@api.get(
    "/requests/{service_request_id}.{fmt}", response={200: list[RequestOut], **ERRORS}, url_name="request"
)
def request_detail(request: HttpRequest, service_request_id: str, fmt: str):
    """One request the key sent, by its service_request_id (our case number); another's is not found."""
    if fmt not in FORMATS or len(service_request_id) > 20:
        raise Http404
    orders = selectors.work_orders_of(request.api_client)  # type: ignore[attr-defined]
    rows = selectors.request_rows(orders.filter(case__number=service_request_id), limit=1)
    if not rows:
        raise Http404
    return _answer(request, fmt, "service_requests", "request", [_request(rows[0])])


def _order_data(request: HttpRequest) -> Mapping[str, str]:
    """The posted fields: form-encoded (the spec) or one JSON object of strings and numbers."""
    content_type = request.content_type or ""
    try:
        if content_type == "application/json":
            data = json.loads(request.body or b"null")
            if not isinstance(data, dict):
                raise BadRequest("请求体应为 JSON 对象。")
            fields = {}
            for name, value in data.items():
                if isinstance(value, bool) or not isinstance(value, str | int | float | type(None)):
                    raise BadRequest(f"{name} 类型错误。")
                fields[str(name)] = "" if value is None else str(value)
            return fields
        return {name: request.POST.get(name, "") for name in request.POST}
    except (ValueError, UnicodeDecodeError, RequestDataTooBig, TooManyFieldsSent, SuspiciousOperation):
        raise BadRequest("请求体无法解析。") from None


def _coordinate(text: str, name: str, bound: int) -> Decimal | None:
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise BadRequest(f"{name} 应为数字。") from None
    if not value.is_finite() or not -bound <= value <= bound:
        raise BadRequest(f"{name} 超出范围。")
    return value.quantize(Decimal("0.000001"))


def order_from(data: Mapping[str, str]) -> services.OrderRequest:
    """Check a work order's shape: required fields, lengths, characters, numbers. Rules (the service, the
    place in scope) are the service's."""
    for name, limit in TEXT_LIMITS.items():
        value = data.get(name, "")
        if len(value) > limit:
            raise BadRequest(f"{name} 超过 {limit} 个字符。")
        if services.has_control_characters(value):
            raise BadRequest(f"{name} 含有控制字符。")
    missing = [name for name in REQUIRED if not data.get(name, "").strip()]
    if missing:
        raise BadRequest(f"缺少必填字段：{', '.join(missing)}。")
    order_id = data["attribute[order_id]"].strip()
    if not all(c.isascii() and (c.isalnum() or c in "._:-") for c in order_id):
        raise BadRequest("attribute[order_id] 只能含字母、数字和 . _ : -。")
    phone = data.get("phone", "").strip()
    if phone and not all(c.isdigit() or c in "+- " for c in phone):
        raise BadRequest("phone 格式错误。")
    urgency = data.get("attribute[urgency]", "").strip()
    if urgency and urgency not in Urgency.values:
        raise BadRequest("attribute[urgency] 不是可选的紧急程度。")
    return services.OrderRequest(
        order_id=order_id,
        service_code=data["service_code"].strip(),
        address_id=data["address_id"].strip(),
        description=data["description"].strip(),
        address_string=data.get("address_string", "").strip(),
        first_name=data.get("first_name", "").strip(),
        last_name=data.get("last_name", "").strip(),
        phone=phone,
        urgency=urgency,
        lat=_coordinate(data.get("lat", "").strip(), "lat", 90),
        long=_coordinate(data.get("long", "").strip(), "long", 180),
    )


@api.post(
    "/requests.{fmt}",
    response={200: list[CreatedOut], 201: list[CreatedOut], **ERRORS},
    url_name="requests",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/x-www-form-urlencoded": {"schema": OrderForm.model_json_schema(by_alias=True)}
            },
            "required": True,
        }
    },
)
def request_create(request: HttpRequest, fmt: str):
    """A work order (工单派发): it becomes a case waiting to be accepted (待受理); 201 when made, 200 with
    the same request when its order id was sent before."""
    if fmt not in FORMATS:
        raise Http404
    order = order_from(_order_data(request))
    work_order, created = services.work_order_receive(client=request.api_client, order=order)  # type: ignore[attr-defined]
    rows = [{"service_request_id": work_order.case.number, "service_notice": "", "account_id": ""}]
    response = _answer(request, fmt, "service_requests", "request", rows)
    response.status_code = 201 if created else 200
    return response
