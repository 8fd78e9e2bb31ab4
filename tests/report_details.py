"""Reading the board report's subject details back, as its script does: the index rows give the
order, the `subject-details` JSON gives one HTML fragment per row (plain, or zlib + base64 chunks)."""

from __future__ import annotations

import base64
import json
import re
import zlib

DATA = re.compile(r'<script type="application/json" id="subject-details">\n(.*?)\n</script>', re.S)
ROW = re.compile(r'<tr id="([^"]+)" class="(?:go|not-yet|no-go)"><th scope="row">')


def details_data(text: str) -> dict[str, object]:
    found = DATA.search(text)
    assert found is not None, "no subject-details data in the report"
    data: dict[str, object] = json.loads(found.group(1))
    return data


def subject_details(text: str) -> dict[str, str]:
    """Each subject's details HTML, by the id of its index row, in index order."""
    data = details_data(text)
    chunks = data["chunks"]
    assert isinstance(chunks, list)
    fragments: list[str] = []
    for chunk in chunks:
        if data["encoding"] == "deflate-base64":
            chunk = json.loads(zlib.decompress(base64.b64decode(chunk)).decode("utf-8"))
        else:
            assert data["encoding"] == "json", data["encoding"]
        assert isinstance(chunk, list) and len(chunk) <= int(str(data["chunk"]))
        fragments.extend(chunk)
    index = text[text.index('id="subject-index"') :]
    anchors = ROW.findall(index[: index.index("</table>")])
    assert len(anchors) == len(fragments), (len(anchors), len(fragments))
    return dict(zip(anchors, fragments, strict=True))


def with_details(text: str) -> str:
    """The page with every subject's details in place of the data, as if each were opened."""
    return DATA.sub(lambda _: "\n".join(subject_details(text).values()), text)
