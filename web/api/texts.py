"""The API area's page texts (the token page and the docs page): key -> (Chinese, English)."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    "api_tokens.title": ("接口令牌", "API tokens"),
    "api_tokens.intro": (
        "接口令牌让 OA 系统、督查督办平台或脚本以您的身份调用整改通接口（权限与您本人相同）。"
        "令牌只在创建时显示一次，请妥善保存；不再使用时请撤销。",
        "An API token lets an OA system, a supervision platform or a script call the Rectiflow API as you "
        "(with exactly your rights). A token is shown once, when it is created: keep it safe, and revoke it "
        "when it is no longer used.",
    ),
    "api_tokens.name": ("用途名称", "What it is for"),
    "api_tokens.name_hint": ("例如：OA 系统对接", "e.g. OA system link"),
    "api_tokens.create": ("创建令牌", "Create token"),
    "api_tokens.created": ("令牌已创建。请立即复制保存，离开本页后将无法再次查看：",
                           "Token created. Copy it now: it cannot be shown again once you leave this page:"),
    "api_tokens.revoke": ("撤销", "Revoke"),
    "api_tokens.revoked": ("令牌“{name}”已撤销。", "Token \u201c{name}\u201d revoked."),
    "api_tokens.none": ("您还没有接口令牌。", "You have no API tokens."),
    "api_tokens.prefix": ("前缀", "Prefix"),
    "api_tokens.created_at": ("创建时间", "Created"),
    "api_tokens.last_used": ("最近使用", "Last used"),
    "api_tokens.never": ("从未使用", "never"),
    "api_tokens.docs_link": ("接口文档", "API documentation"),
    "api_tokens.name_required": ("请填写令牌的用途名称。", "a token needs a name"),
    "api_tokens.name_too_long": ("用途名称最多 {max} 个字符。", "a token's name has at most {max} characters"),
    "api_tokens.not_found": ("没有这个令牌。", "no such token"),
    "api_docs.title": ("接口文档", "API documentation"),
    "api_docs.intro": (
        "整改通 JSON 接口（v1）。用 “Authorization: Bearer <令牌>” 调用；令牌在“接口令牌”页面创建。"
        "完整的机器可读说明见 OpenAPI 文档。",
        "The Rectiflow JSON API (v1). Call it with \u201cAuthorization: Bearer <token>\u201d; create tokens on "
        "the API tokens page. The full machine-readable description is the OpenAPI document.",
    ),
    "api_docs.openapi": ("OpenAPI 文档（JSON）", "OpenAPI document (JSON)"),
    "api_docs.method": ("方法", "Method"),
    "api_docs.path": ("路径", "Path"),
    "api_docs.summary": ("说明", "Summary"),
}
