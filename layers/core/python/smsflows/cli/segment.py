"""`smsflows segment create|list|count|backfill|shopify-list`: a shop's saved segments (issue 15,
docs/segments.md).

A segment is a JSON document of conditions (all/any/not; the format is in `domain/campaigns/segments.py`), or a
Shopify customer segment (`--shopify-segment`, issue 17: its members are Shopify's, texted only if subscribed in
smsflows); a campaign names it with `--segment NAME`. Counting pages the shop's subscribed members through the
evaluator (or a Shopify segment's members), as `campaign preview` does; nothing here texts anyone."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console

from smsflows.admin import segments as use_cases
from smsflows.cli._core import epilog, fields, progress, show, table
from smsflows.cli._target import JsonOpt, LocalOpt, ProfileOpt, ShopOpt, connect_shop

app = typer.Typer(
    help="A shop's saved segments: create one from a JSON document, list them, count who one holds now.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)

NameArg = Annotated[str, typer.Argument(metavar="NAME", help="The segment's name (`smsflows segment list`).")]
ByOpt = Annotated[
    str | None,
    typer.Option("--by", metavar="NAME", help="Who creates it, for the record.", show_default="$USER"),
]
EXAMPLE_DOC = (
    '{"all": [{"repeat": {}}, {"lapsed": {"days": 90}}, {"not": {"bought": {"product": ["7001"]}}}]}'
)


def _warnings(console: Console, warnings: list[str]) -> None:
    console.print(table(("warning",), [(w,) for w in warnings], "warnings") if warnings else "warnings: none")


@app.command(
    "create",
    epilog=epilog(
        [
            "smsflows segment create --shop S --name lapsed_vips --file lapsed_vips.json",
            f"echo '{EXAMPLE_DOC}' > lapsed.json",
            "smsflows segment create --name lapsed --file lapsed.json --replace --json",
            "smsflows segment create --name vip --shopify-segment gid://shopify/Segment/210588551",
        ],
        "The document is checked whole first: a bad one is one line naming the field and the accepted form "
        "(exit 2), and nothing is stored. A name that exists is replaced only with --replace. "
        "--shopify-segment ID (digits or its gid; `smsflows segment shopify-list`) makes a segment of a Shopify "
        "customer segment instead: its members come from Shopify when a campaign on it starts, and only those "
        "subscribed in smsflows are texted (Shopify's marketing state is not consent here). --json prints "
        "{" + ", ".join(use_cases.CREATE_KEYS) + "}.",
    ),
)
def create(
    name: Annotated[
        str,
        typer.Option(
            "--name", metavar="NAME", help="The name: letters, digits, '.', '-' and '_', at most 64."
        ),
    ],
    file: Annotated[
        str | None,
        typer.Option("--file", metavar="F.json", help="The segment document (JSON).", show_default=False),
    ] = None,
    shopify_segment: Annotated[
        str | None,
        typer.Option(
            "--shopify-segment",
            metavar="ID",
            help="A Shopify customer segment instead of a document: its id or gid.",
            show_default=False,
        ),
    ] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace the document of a segment that exists.")
    ] = False,
    by: ByOpt = None,
    shop: ShopOpt = None,
    as_json: JsonOpt = False,
    local: LocalOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Create (or with --replace, replace) a segment from a JSON document."""
    named = connect_shop(local, profile, shop)
    made = use_cases.segment_create(
        named, name=name, file=file, shopify_segment=shopify_segment, replace=replace, by=by
    )

    def render(console: Console, found: dict[str, Any]) -> None:
        title = f"segment {'replaced' if found['replaced'] else 'created'} in {found['shop']}"
        shown = {"name": found["name"], "describe": found["describe"],
                 "created": f"{found['created_at']} by {found['created_by']}"}  # fmt: skip
        if found["shopify"]:
            shown["shopify query"] = found["shopify"]["query"]
        console.print(fields(shown, title=title))
        _warnings(console, found["warnings"])

    show(made, as_json, render)


@app.command(
    "list",
    epilog=epilog(
        ["smsflows segment list --shop S", "smsflows segment list --json | jq -r '.[].name'"],
        "By name. A Shopify segment shows Shopify's size now (one Admin API call each) and how many of it "
        "were textable at its last `segment count`. --json prints a list of {"
        + ", ".join(use_cases.LIST_KEYS)
        + "}; `shopify` is null, or {"
        + ", ".join(use_cases.SHOPIFY_LIST_KEYS)
        + "}.",
    ),
)
def list_(
    shop: ShopOpt = None, as_json: JsonOpt = False, local: LocalOpt = None, profile: ProfileOpt = None
) -> None:
    """List the shop's segments."""
    named = connect_shop(local, profile, shop)

    def size(row: dict[str, Any]) -> str:
        found = row["shopify"]
        if not found:
            return ""
        total = f"{found['total']} in Shopify"
        if found["total"] is None:
            total = f"size unknown ({found['unavailable']})"
        textable = "not counted yet"
        if found["textable"] is not None:
            textable = f"{found['textable']} textable at {found['counted_at']}"
        return f"{total}; {textable}"

    def render(console: Console, rows: list[dict[str, Any]]) -> None:
        lines = [
            (r["name"], r["source"], r["describe"], size(r), r["updated_at"], r["created_by"]) for r in rows
        ]
        console.print(table(("name", "source", "describe", "size", "updated", "created by"), lines,
                            f"segments of {named}"))  # fmt: skip

    show(use_cases.segment_list(named), as_json, render)


@app.command(
    "count",
    epilog=epilog(
        [
            "smsflows segment count lapsed_vips --shop S",
            "smsflows segment count lapsed_vips --json | jq .total",
        ],
        "Pages every shard of the shop's subscribed members through the segment, now (the deployment's "
        "clock). A group is the members with one set of candidate time zones, the strictest first (the "
        "latest local time: the one a local-time campaign releases by). A Shopify segment's members are paged "
        "from Shopify: the total is those subscribed in smsflows; members without a phone, with an invalid one "
        "or not subscribed are counted as skipped. "
        "--json prints {"
        + ", ".join(use_cases.COUNT_KEYS)
        + "}; groups: [{"
        + ", ".join(use_cases.GROUP_KEYS)
        + "}], largest first; shopify: null or {"
        + ", ".join(use_cases.SHOPIFY_COUNT_KEYS)
        + "}.",
    ),
)
def count(
    name: NameArg, shop: ShopOpt = None, as_json: JsonOpt = False, local: LocalOpt = None,
    profile: ProfileOpt = None,
) -> None:  # fmt: skip
    """Count who the segment holds now, by time-zone group, with its warnings."""
    named = connect_shop(local, profile, shop)
    size, unit = use_cases.count_size(named, name)
    with progress("counting", size, unit) as advance:
        counted = use_cases.segment_count(named, name, progress=advance)

    def render(console: Console, found: dict[str, Any]) -> None:
        shown = {"segment": found["name"], "describe": found["describe"], "total": found["total"],
                 "counted at": found["counted_at"]}  # fmt: skip
        if found["shopify"]:
            got = found["shopify"]
            shown["in Shopify"] = got["shopify_total"]
            shown["skipped"] = (f"{got['not_subscribed']} not subscribed in smsflows, {got['no_phone']} without a "
                                f"phone, {got['invalid_phone']} with an invalid phone")  # fmt: skip
        console.print(fields(shown, title=f"segment count in {found['shop']}"))
        rows = [(g["label"], g["count"]) for g in found["groups"]]
        console.print(
            table(("time-zone group", "members"), rows, "by time-zone group") if rows else "groups: none"
        )
        _warnings(console, found["warnings"])

    show(counted, as_json, render)


@app.command(
    "backfill",
    epilog=epilog(
        ["smsflows segment backfill --shop S", "smsflows segment backfill --shop S --cursor TOKEN --json"],
        "Once, after upgrading to a version with segments: every subscriber recorded before it gets its "
        "place in the segment index and its candidate time zones (later consent changes, orders and customer "
        "updates keep them). Reads the shop's subscriber records (the by_shop index, never a Scan), writes "
        "at most --rate a second; run it again any time: what is done is skipped. If it stops, the error "
        "names the --cursor to resume from. --json prints {" + ", ".join(use_cases.BACKFILL_KEYS) + "}.",
    ),
)
def backfill(
    cursor: Annotated[
        str | None,
        typer.Option(
            "--cursor", metavar="TOKEN", help="Resume where a stopped run said.", show_default=False
        ),
    ] = None,
    page_size: Annotated[
        int, typer.Option("--page-size", metavar="N", help="Subscriber records read per page (1 to 100).")
    ] = 100,
    rate: Annotated[
        float, typer.Option("--rate", metavar="N", help="Writes per second at most (0: unpaced).")
    ] = 200.0,
    shop: ShopOpt = None,
    as_json: JsonOpt = False,
    local: LocalOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Index the subscribers recorded before segments existed (resumable, idempotent)."""
    named = connect_shop(local, profile, shop)
    with progress("backfilling", None, "records") as advance:
        done = use_cases.segment_backfill(
            named, cursor=cursor, page_size=page_size, rate=rate, progress=advance
        )

    def render(console: Console, found: dict[str, Any]) -> None:
        console.print(fields({k: v for k, v in found.items() if k != "cursor"}, title=f"backfilled {named}"))

    show(done, as_json, render)


@app.command(
    "shopify-list",
    epilog=epilog(
        ["smsflows segment shopify-list --shop S", "smsflows segment shopify-list --json | jq -r '.[].id'"],
        "The shop's customer segments in Shopify (the Admin API, with the shop's stored access token), to pick "
        "one for `segment create --shopify-segment ID`. --json prints a list of {"
        + ", ".join(use_cases.SHOPIFY_SEGMENT_KEYS)
        + "}.",
    ),
)
def shopify_list(
    shop: ShopOpt = None, as_json: JsonOpt = False, local: LocalOpt = None, profile: ProfileOpt = None
) -> None:
    """List the shop's Shopify customer segments (id, name, query)."""
    named = connect_shop(local, profile, shop)

    def render(console: Console, rows: list[dict[str, Any]]) -> None:
        lines = [(r["id"], r["name"], r["query"]) for r in rows]
        console.print(table(("id", "name", "query"), lines, f"Shopify segments of {named}"))

    show(use_cases.shopify_segments_list(named), as_json, render)


__all__ = ["app"]
