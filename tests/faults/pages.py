"""Hand-made pages for the fault tests (no saved page has these faults): 人民网 ``rm_txt`` article pages, which the
production ``people`` page object reads, and a homepage linking many of them."""

from __future__ import annotations

PEOPLE_HOME = "http://www.people.com.cn/"
PEOPLE_ROBOTS = "http://www.people.com.cn/robots.txt"
XINHUA_ROBOTS = "http://www.xinhuanet.com/robots.txt"


def people_url(n: int) -> str:
    return f"http://www.people.com.cn/n1/2024/0520/c1008-4{n:07d}.html"


def xinhua_url(n: int) -> str:
    return f"http://www.xinhuanet.com/politics/2024-05/20/c_11300{n:05d}.htm"


def title_of(n: int) -> str:
    return f"江阴市社会信用体系建设第{n}号通报"


def article(title: str, para: str, *, charset: str = "utf-8", dated: bool = True, padding: int = 0) -> str:
    """A 人民网 article page; `dated=False` leaves out the byline with the date, `padding` adds that many bytes
    of extra paragraphs (for size limits)."""
    byline = (
        '<div class="channel"><div class="col-1-1">2024年05月20日08:30 | 来源：人民网－社会频道</div></div>'
        if dated
        else '<div class="channel"><div class="col-1-1">来源：人民网－社会频道</div></div>'
    )
    lines: list[str] = []
    size = 0
    while size < padding:  # distinct paragraphs: an extractor may drop repeated lines
        lines.append(
            f"<p>补充材料第{len(lines) + 1}条：有关部门对失信行为开展联合惩戒，依法依规公开信息。</p>\n"
        )
        size += len(lines[-1].encode("utf-8"))
    extra = "".join(lines)
    return f"""<!DOCTYPE html><html><head><meta charset="{charset}"><title>{title}--人民网</title></head>
<body><div class="rm_txt"><div class="col-1"><h1>{title}</h1>
{byline}
<div class="rm_txt_con"><p>{para}</p><p>第二段：有关部门表示将依法处理，并向社会公布调查结果。</p>
{extra}</div></div></div>
</body></html>"""


def numbered_article(n: int) -> bytes:
    return article(title_of(n), f"江阴市信用办发布第{n}号通报，涉及企业守信激励与失信惩戒。").encode()


def broken_article(title: str) -> bytes:
    """Badly broken markup that still holds an article: no </head>, unclosed <title>-less head, misnested and
    unclosed tags, stray closers, a bare `<`, an unterminated comment at the end."""
    return f"""<html><head><meta charset="utf-8"><body>
<div class="nav"><a href="/x">首页</div></span></td><table><tr><td>导航</div>
<div class="rm_txt"><div class="col-1"><h1>{title}</h1>
<div class="channel"><div class="col-1-1">2024年05月20日08:30 | 来源：人民网</div>
<div class="rm_txt_con"><p>失信被执行人名单管理办法发布，<b>全省<i>统一</b>执行</i>。<p>第二段 a < b 的说明</div>
</div></div></div></div></p></html></html><!-- no end""".encode()


def homepage(urls: list[str]) -> bytes:
    items = "".join(f'<li><a href="{u}">{title_of(i)}</a></li>' for i, u in enumerate(urls))
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>人民网</title></head><body>
<div id="rmw_topline"><h1><a href="{urls[0]}">{title_of(0)}</a></h1></div>
<div id="rmw_focus"><ul>{items}</ul></div></body></html>""".encode()
