"""Block Kit validation with Slack's limits.

Errors are strings in Slack's own format: ``"<message> [json-pointer:/blocks/0/text/text]"``.
Only structural rules and documented limits are checked; rendering details are not.
"""

from __future__ import annotations

from typing import Any

MESSAGE_BLOCK_LIMIT = 50
SURFACE_BLOCK_LIMIT = 100  # modals and App Home

BLOCK_TYPES = frozenset(
    {
        "section",
        "actions",
        "context",
        "divider",
        "header",
        "image",
        "input",
        "rich_text",
        "markdown",
        "file",
        "video",
    }
)
TEXT_TYPES = frozenset({"plain_text", "mrkdwn"})
SELECTS_WITH_OPTIONS = frozenset({"static_select", "multi_static_select"})
OPTIONLESS_ELEMENTS = frozenset(
    {
        "users_select",
        "multi_users_select",
        "conversations_select",
        "multi_conversations_select",
        "channels_select",
        "multi_channels_select",
        "external_select",
        "multi_external_select",
        "datepicker",
        "timepicker",
        "datetimepicker",
        "plain_text_input",
        "email_text_input",
        "url_text_input",
        "number_input",
        "rich_text_input",
        "file_input",
    }
)
INTERACTIVE_ELEMENTS = (
    frozenset({"button", "overflow", "radio_buttons", "checkboxes", "workflow_button"})
    | SELECTS_WITH_OPTIONS
    | OPTIONLESS_ELEMENTS
)


class _Validator:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def err(self, message: str, pointer: str) -> None:
        self.errors.append(f"{message} [json-pointer:{pointer}]")

    # -- primitives -------------------------------------------------------------------
    def string(
        self, value: Any, pointer: str, *, max_len: int, required: bool = True, min_len: int = 0
    ) -> None:
        if value is None:
            if required:
                self.err("missing required field", pointer)
            return
        if not isinstance(value, str):
            self.err("expected a string", pointer)
            return
        if len(value) > max_len:
            self.err(f"must be less than {max_len + 1} characters", pointer)
        if len(value) < min_len:
            self.err(f"must be more than {min_len - 1} characters", pointer)

    def text(
        self,
        obj: Any,
        pointer: str,
        *,
        max_len: int,
        plain_only: bool = False,
        required: bool = True,
    ) -> None:
        if obj is None:
            if required:
                self.err("missing required field", pointer)
            return
        if not isinstance(obj, dict):
            self.err("expected an object", pointer)
            return
        kind = obj.get("type")
        allowed = {"plain_text"} if plain_only else TEXT_TYPES
        if kind not in allowed:
            self.err(f"must be one of: {', '.join(sorted(allowed))}", f"{pointer}/type")
        self.string(obj.get("text"), f"{pointer}/text", max_len=max_len, min_len=1)
        if "emoji" in obj and kind != "plain_text":
            self.err("emoji is only allowed on plain_text", f"{pointer}/emoji")
        if "verbatim" in obj and kind != "mrkdwn":
            self.err("verbatim is only allowed on mrkdwn", f"{pointer}/verbatim")

    def style(self, obj: dict[str, Any], pointer: str) -> None:
        if "style" in obj and obj["style"] not in ("primary", "danger"):
            self.err("must be one of: danger, primary", f"{pointer}/style")

    def confirm(self, obj: Any, pointer: str) -> None:
        if obj is None:
            return
        if not isinstance(obj, dict):
            self.err("expected an object", pointer)
            return
        self.text(obj.get("title"), f"{pointer}/title", max_len=100, plain_only=True)
        self.text(obj.get("text"), f"{pointer}/text", max_len=300)
        self.text(obj.get("confirm"), f"{pointer}/confirm", max_len=30, plain_only=True)
        self.text(obj.get("deny"), f"{pointer}/deny", max_len=30, plain_only=True)
        self.style(obj, pointer)

    def option(self, obj: Any, pointer: str, *, plain_only: bool, with_url: bool = False) -> None:
        if not isinstance(obj, dict):
            self.err("expected an object", pointer)
            return
        self.text(obj.get("text"), f"{pointer}/text", max_len=75, plain_only=plain_only)
        self.string(obj.get("value"), f"{pointer}/value", max_len=150, min_len=1)
        self.text(
            obj.get("description"),
            f"{pointer}/description",
            max_len=75,
            plain_only=True,
            required=False,
        )
        if with_url:
            self.string(obj.get("url"), f"{pointer}/url", max_len=3000, required=False)

    def options(
        self,
        opts: Any,
        pointer: str,
        *,
        max_items: int,
        min_items: int = 1,
        plain_only: bool = True,
        with_url: bool = False,
    ) -> None:
        if not isinstance(opts, list):
            self.err("expected an array", pointer)
            return
        if len(opts) > max_items:
            self.err(f"no more than {max_items} items allowed", pointer)
        if len(opts) < min_items:
            self.err(f"must provide at least {min_items} items", pointer)
        for i, opt in enumerate(opts):
            self.option(opt, f"{pointer}/{i}", plain_only=plain_only, with_url=with_url)

    # -- elements ---------------------------------------------------------------------
    def element(self, el: Any, pointer: str, action_ids: set[str]) -> None:
        if not isinstance(el, dict):
            self.err("expected an object", pointer)
            return
        kind = el.get("type")
        if kind == "image":
            self.image_fields(el, pointer)
            return
        if kind not in INTERACTIVE_ELEMENTS:
            self.err(f"unsupported type: {kind}", f"{pointer}/type")
            return
        action_id = el.get("action_id")
        if action_id is not None:
            self.string(action_id, f"{pointer}/action_id", max_len=255, min_len=1)
            if isinstance(action_id, str):
                if action_id in action_ids:
                    self.err(f"duplicate action_id: {action_id}", f"{pointer}/action_id")
                action_ids.add(action_id)
        self.confirm(el.get("confirm"), f"{pointer}/confirm")
        if "placeholder" in el:
            self.text(el["placeholder"], f"{pointer}/placeholder", max_len=150, plain_only=True)
        if kind == "button":
            self.text(el.get("text"), f"{pointer}/text", max_len=75, plain_only=True)
            self.string(el.get("value"), f"{pointer}/value", max_len=2000, required=False)
            self.string(el.get("url"), f"{pointer}/url", max_len=3000, required=False)
            self.string(
                el.get("accessibility_label"),
                f"{pointer}/accessibility_label",
                max_len=75,
                required=False,
            )
            self.style(el, pointer)
        elif kind in SELECTS_WITH_OPTIONS:
            if "option_groups" in el:
                groups = el["option_groups"]
                if not isinstance(groups, list) or len(groups) > 100:
                    self.err("no more than 100 items allowed", f"{pointer}/option_groups")
                else:
                    for g, group in enumerate(groups):
                        gp = f"{pointer}/option_groups/{g}"
                        if not isinstance(group, dict):
                            self.err("expected an object", gp)
                            continue
                        self.text(group.get("label"), f"{gp}/label", max_len=75, plain_only=True)
                        self.options(group.get("options"), f"{gp}/options", max_items=100)
            else:
                self.options(el.get("options"), f"{pointer}/options", max_items=100)
            if "initial_option" in el:
                self.option(el["initial_option"], f"{pointer}/initial_option", plain_only=True)
        elif kind == "overflow":
            self.options(
                el.get("options"), f"{pointer}/options", max_items=5, min_items=1, with_url=True
            )
        elif kind in ("radio_buttons", "checkboxes"):
            self.options(el.get("options"), f"{pointer}/options", max_items=10, plain_only=False)
        elif kind == "plain_text_input":
            self.string(
                el.get("initial_value"), f"{pointer}/initial_value", max_len=3000, required=False
            )
            for key in ("min_length", "max_length"):
                if key in el and (not isinstance(el[key], int) or not 0 <= el[key] <= 3000):
                    self.err("must be an integer between 0 and 3000", f"{pointer}/{key}")

    def image_fields(self, obj: dict[str, Any], pointer: str) -> None:
        if "image_url" not in obj and "slack_file" not in obj:
            self.err("must provide either image_url or slack_file", pointer)
        self.string(obj.get("image_url"), f"{pointer}/image_url", max_len=3000, required=False)
        self.string(obj.get("alt_text"), f"{pointer}/alt_text", max_len=2000, min_len=1)

    # -- blocks -----------------------------------------------------------------------
    def blocks(self, blocks: Any, pointer: str, *, limit: int) -> None:
        if not isinstance(blocks, list):
            self.err("expected an array", pointer)
            return
        if len(blocks) > limit:
            self.err(f"no more than {limit} items allowed", pointer)
        block_ids: set[str] = set()
        for i, block in enumerate(blocks):
            self.block(block, f"{pointer}/{i}", block_ids)

    def block(self, block: Any, pointer: str, block_ids: set[str]) -> None:
        if not isinstance(block, dict):
            self.err("expected an object", pointer)
            return
        kind = block.get("type")
        if kind not in BLOCK_TYPES:
            self.err(f"unsupported type: {kind}", f"{pointer}/type")
            return
        block_id = block.get("block_id")
        if block_id is not None:
            self.string(block_id, f"{pointer}/block_id", max_len=255, min_len=1)
            if isinstance(block_id, str):
                if block_id in block_ids:
                    self.err(f"duplicate block_id: {block_id}", f"{pointer}/block_id")
                block_ids.add(block_id)
        action_ids: set[str] = set()  # Slack: unique within the containing block
        if kind == "section":
            if "text" not in block and "fields" not in block:
                self.err("must provide either text or fields", pointer)
            if "text" in block:
                self.text(block["text"], f"{pointer}/text", max_len=3000)
            if "fields" in block:
                fields = block["fields"]
                if not isinstance(fields, list):
                    self.err("expected an array", f"{pointer}/fields")
                else:
                    if len(fields) > 10:
                        self.err("no more than 10 items allowed", f"{pointer}/fields")
                    for f, field in enumerate(fields):
                        self.text(field, f"{pointer}/fields/{f}", max_len=2000)
            if "accessory" in block:
                self.element(block["accessory"], f"{pointer}/accessory", action_ids)
        elif kind == "header":
            self.text(block.get("text"), f"{pointer}/text", max_len=150, plain_only=True)
        elif kind == "actions":
            self.element_list(block.get("elements"), f"{pointer}/elements", 25, action_ids)
        elif kind == "context":
            elements = block.get("elements")
            if self.sized_list(elements, f"{pointer}/elements", 10) and isinstance(elements, list):
                for e, el in enumerate(elements):
                    ep = f"{pointer}/elements/{e}"
                    if isinstance(el, dict) and el.get("type") == "image":
                        self.image_fields(el, ep)
                    else:
                        self.text(el, ep, max_len=3000)
        elif kind == "image":
            self.image_fields(block, pointer)
            self.text(block.get("title"), f"{pointer}/title", max_len=2000, required=False)
        elif kind == "input":
            self.text(block.get("label"), f"{pointer}/label", max_len=2000, plain_only=True)
            self.text(
                block.get("hint"), f"{pointer}/hint", max_len=2000, plain_only=True, required=False
            )
            if "element" not in block:
                self.err("missing required field", f"{pointer}/element")
            else:
                self.element(block["element"], f"{pointer}/element", action_ids)
        elif kind == "rich_text":
            if not isinstance(block.get("elements"), list):
                self.err("expected an array", f"{pointer}/elements")
        elif kind == "markdown":
            self.string(block.get("text"), f"{pointer}/text", max_len=12000, min_len=1)

    def sized_list(self, items: Any, pointer: str, max_items: int) -> bool:
        if not isinstance(items, list):
            self.err("expected an array", pointer)
            return False
        if not items:
            self.err("must provide at least 1 items", pointer)
        if len(items) > max_items:
            self.err(f"no more than {max_items} items allowed", pointer)
        return True

    def element_list(self, items: Any, pointer: str, max_items: int, action_ids: set[str]) -> None:
        if self.sized_list(items, pointer, max_items) and isinstance(items, list):
            for e, el in enumerate(items):
                self.element(el, f"{pointer}/{e}", action_ids)


def validate_blocks(
    blocks: Any, *, limit: int = MESSAGE_BLOCK_LIMIT, pointer: str = "/blocks"
) -> list[str]:
    """Validate a ``blocks`` array; returns Slack-style error strings (empty when valid)."""
    v = _Validator()
    v.blocks(blocks, pointer, limit=limit)
    return v.errors


def validate_view(view: Any, *, pointer: str = "/view") -> list[str]:
    """Validate a modal or home view object."""
    v = _Validator()
    if not isinstance(view, dict):
        v.err("expected an object", pointer)
        return v.errors
    kind = view.get("type")
    if kind not in ("modal", "home"):
        v.err("must be one of: home, modal", f"{pointer}/type")
    if "blocks" not in view:
        v.err("missing required field", f"{pointer}/blocks")
    else:
        v.blocks(view["blocks"], f"{pointer}/blocks", limit=SURFACE_BLOCK_LIMIT)
    if kind == "modal":
        v.text(view.get("title"), f"{pointer}/title", max_len=24, plain_only=True)
        v.text(view.get("submit"), f"{pointer}/submit", max_len=24, plain_only=True, required=False)
        v.text(view.get("close"), f"{pointer}/close", max_len=24, plain_only=True, required=False)
        blocks = view.get("blocks")
        has_input = isinstance(blocks, list) and any(
            isinstance(b, dict) and b.get("type") == "input" for b in blocks
        )
        if has_input and "submit" not in view:
            v.err("submit is required when an input block is present", f"{pointer}/submit")
    v.string(
        view.get("private_metadata"), f"{pointer}/private_metadata", max_len=3000, required=False
    )
    v.string(view.get("callback_id"), f"{pointer}/callback_id", max_len=255, required=False)
    v.string(view.get("external_id"), f"{pointer}/external_id", max_len=255, required=False)
    return v.errors
