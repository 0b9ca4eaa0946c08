"""The API's own messages in Vietnamese: FastAPI's field errors and the HTTP refusals.

``api/errors.py`` answers in Vietnamese unless the request prefers English; the texts here
are what it says for errors that carry no Vietnamese of their own (pydantic's list of field
errors, the ``HTTPException`` details of sign-in, roles and the rate limit). A text not
known here is answered in English under a Vietnamese title, never with an empty detail.
"""

from __future__ import annotations

import re
from typing import Any

from landreg.domain.access import Role

STALE_VI = "hồ sơ vừa được người khác thay đổi; hãy tải lại rồi thử lại"

ROLE_NAMES_VI: dict[str, str] = {
    Role.CITIZEN: "người dân",
    Role.REGISTRY_OFFICER: "cán bộ tiếp nhận, xử lý hồ sơ",
    Role.CADASTRAL_STAFF: "cán bộ địa chính",
    Role.LEADER: "lãnh đạo",
    Role.ADMINISTRATOR: "quản trị viên",
}

# pydantic's error types (https://docs.pydantic.dev/latest/errors/validation_errors/): what
# each says, as a template over the error's context.
_FIELD_PROBLEMS: dict[str, str] = {
    "missing": "bắt buộc phải có",
    "less_than_equal": "phải ≤ {le}",
    "less_than": "phải < {lt}",
    "greater_than_equal": "phải ≥ {ge}",
    "greater_than": "phải > {gt}",
    "int_parsing": "phải là số nguyên",
    "int_type": "phải là số nguyên",
    "int_from_float": "phải là số nguyên",
    "float_parsing": "phải là số",
    "float_type": "phải là số",
    "finite_number": "phải là số hữu hạn",
    "bool_parsing": "phải là true hoặc false",
    "bool_type": "phải là true hoặc false",
    "string_type": "phải là chuỗi ký tự",
    "string_too_short": "phải có ít nhất {min_length} ký tự",
    "string_too_long": "dài quá {max_length} ký tự",
    "string_pattern_mismatch": "không đúng định dạng",
    "string_unicode": "phải là văn bản Unicode hợp lệ",
    "too_short": "phải có ít nhất {min_length} mục",
    "too_long": "có nhiều hơn {max_length} mục",
    "list_type": "phải là một danh sách",
    "dict_type": "phải là một đối tượng JSON",
    "model_type": "phải là một đối tượng JSON",
    "model_attributes_type": "phải là một đối tượng JSON",
    "json_invalid": "không phải JSON hợp lệ",
    "json_type": "không phải JSON hợp lệ",
    "extra_forbidden": "trường này không được phép",
    "enum": "phải là một trong: {expected}",
    "literal_error": "phải là một trong: {expected}",
    "date_parsing": "phải là ngày dạng 2024-01-04",
    "date_from_datetime_parsing": "phải là ngày dạng 2024-01-04",
    "date_type": "phải là ngày dạng 2024-01-04",
    "datetime_parsing": "phải là ngày giờ dạng 2024-01-04T09:30:00+07:00",
    "datetime_from_date_parsing": "phải là ngày giờ dạng 2024-01-04T09:30:00+07:00",
    "datetime_type": "phải là ngày giờ dạng 2024-01-04T09:30:00+07:00",
    "timezone_aware": "phải có múi giờ (như +07:00)",
    "uuid_parsing": "phải là một UUID",
    "bytes_too_long": "dài quá {max_length} byte",
    "multiple_of": "phải là bội số của {multiple_of}",
}

# HTTPException details raised in api/ (security, sign-in, the public look-up's limit) and by
# Starlette, in Vietnamese: exact texts, and patterns whose groups the template repeats.
_HTTP_DETAILS: dict[str, str] = {
    "sign in, or call with an API key": "hãy đăng nhập, hoặc gọi kèm khóa API",
    "the API key is not valid": "khóa API không hợp lệ",
    "the sign-in has expired or is not valid": "phiên đăng nhập đã hết hạn hoặc không hợp lệ",
    "the account is not active": "tài khoản đã bị khóa hoặc không còn hoạt động",
    "wrong username or password": "sai tên đăng nhập hoặc mật khẩu",
    "not signed in": "chưa đăng nhập",
    "the map is open to officers and staff": "bản đồ địa chính chỉ mở cho cán bộ",
    "Not Found": "không có trang hoặc tài nguyên ở địa chỉ này",
    "Method Not Allowed": "địa chỉ này không nhận phương thức {method}",
    "Unsupported Media Type": "kiểu nội dung của yêu cầu không được hỗ trợ",
    "Request Entity Too Large": "nội dung yêu cầu quá lớn",
    "Content Too Large": "nội dung yêu cầu quá lớn",
    "There was an error parsing the body": "không đọc được nội dung yêu cầu",
    "Missing boundary in multipart.": "biểu mẫu tải lên thiếu ranh giới multipart",
    "Invalid multipart data.": "dữ liệu biểu mẫu tải lên không hợp lệ",
}
_HTTP_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"at most (\d+) lookups a minute; try again in (\d+) s"),
        "tối đa {0} lượt tra cứu mỗi phút; xin thử lại sau {1} giây",
    ),
    (
        re.compile(r"Too many files\. Maximum number of files is (\d+)\."),
        "biểu mẫu có quá nhiều tệp; tối đa {0} tệp",
    ),
    (
        re.compile(r"Too many fields\. Maximum number of fields is (\d+)\."),
        "biểu mẫu có quá nhiều trường; tối đa {0} trường",
    ),
    (
        re.compile(r"(?:Part|Field) exceeded maximum size of (\d+)KB\."),
        "một phần của biểu mẫu vượt quá {0} KB",
    ),
)
_ROLES = re.compile(r"this needs the role (.+)")


def field_problem_vi(item: dict[str, Any]) -> str | None:
    """What one of pydantic's errors says, in Vietnamese (``phải ≤ 500``); None for a kind
    of error without a Vietnamese text (its English message is then shown).

    A validator's own refusal (``value_error``) carrying a landreg error with a Vietnamese
    detail says that detail.
    """
    kind = str(item.get("type", ""))
    context: dict[str, Any] = dict(item.get("ctx") or {})
    if kind in ("value_error", "assertion_error"):
        detail_vi = getattr(context.get("error"), "detail_vi", None)
        return str(detail_vi) if detail_vi else None
    template = _FIELD_PROBLEMS.get(kind)
    if template is None:
        return None
    shown = {name: _number(value) for name, value in context.items()}
    if isinstance(shown.get("expected"), str):  # pydantic writes "'a', 'b' or 'c'"
        shown["expected"] = shown["expected"].replace(" or ", " hoặc ")
    try:
        return template.format_map(shown)
    except (KeyError, IndexError, ValueError):
        return template.split(" {")[0]


def _number(value: Any) -> Any:
    """A limit as people write it: 500 rather than 500.0."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value


def http_detail_vi(detail: str, method: str = "") -> str | None:
    """An HTTP refusal's detail in Vietnamese; None when it has no Vietnamese text yet."""
    exact = _HTTP_DETAILS.get(detail)
    if exact is not None:
        return exact.format(method=method)
    for pattern, template in _HTTP_PATTERNS:
        match = pattern.fullmatch(detail)
        if match:
            return template.format(*match.groups())
    roles = _ROLES.fullmatch(detail)
    if roles:
        names = [ROLE_NAMES_VI.get(r.strip(), r.strip()) for r in roles.group(1).split(" or ")]
        return f"việc này cần vai trò {' hoặc '.join(names)}"
    return None
