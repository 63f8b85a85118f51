"""Encoding detection: the bytes decide; a wrong or missing declaration is noted, never trusted."""

from __future__ import annotations

import pytest

from pipelines.sources.files import read_extract

TEXT = "身份证号,姓名,地址\n500103195001011234,张三,重庆市渝中区解放碑\n"


def names(extract):
    return extract.columns[1].to_pylist()


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "utf-8-bom"),
        (TEXT.encode("gbk"), "gbk"),
        (TEXT.replace("张三", "李䶮").encode("gb18030"), "gb18030"),
        (TEXT.replace("张三", "王𠀀").encode("gb18030"), "gb18030"),
    ],
)
def test_detects_the_encoding_without_a_declaration(put, data, encoding):
    extract = read_extract(put("e.csv", data))
    assert extract.encoding == encoding
    assert extract.header == ["身份证号", "姓名", "地址"]
    assert names(extract)[0] in ("张三", "李䶮", "王𠀀")
    assert extract.columns[2].to_pylist() == ["重庆市渝中区解放碑"]


def test_gbk_characters_are_reported_as_gbk_not_gb18030(put):
    # Everything GBK holds decodes as GB18030 too; "gb18030" is only for what GBK lacks.
    assert read_extract(put("g.csv", TEXT, "gb18030")).encoding == "gbk"


def test_declared_gbk_but_the_file_is_utf8(put):
    extract = read_extract(put("e.csv", TEXT, "utf-8"), "gbk")
    assert extract.encoding == "utf-8" and names(extract) == ["张三"]
    assert "declared encoding gbk but file is utf-8" in extract.notes


def test_declared_utf8_but_the_file_is_gbk(put):
    extract = read_extract(put("e.csv", TEXT, "gbk"), "utf-8")
    assert extract.encoding == "gbk" and names(extract) == ["张三"]
    assert "declared encoding utf-8 but file is gbk" in extract.notes


def test_declared_gbk_but_the_file_needs_gb18030(put):
    data = (TEXT + "2,李䶮,x\n").encode("gb18030")
    extract = read_extract(put("e.csv", data), "gbk")
    assert extract.encoding == "gb18030" and names(extract) == ["张三", "李䶮"]
    assert (
        extract.notes[0]
        == "declared encoding gbk but file is gb18030 (first character outside GBK on line 3)"
    )


def test_consistent_declarations_make_no_note(put):
    assert read_extract(put("a.csv", TEXT, "gbk"), "gb18030").notes == []  # GBK ⊂ GB18030
    assert read_extract(put("b.csv", TEXT, "gbk"), "GB2312").notes == []
    assert read_extract(put("c.csv", "id,n\n1,2\n"), "gbk").notes == []  # ASCII is valid in all
    assert read_extract(put("d.csv", b"\xef\xbb\xbf" + TEXT.encode()), "utf-8").notes == []


def test_an_unknown_declaration_is_noted(put):
    extract = read_extract(put("e.csv", TEXT, "gbk"), "big5")
    assert extract.encoding == "gbk"
    assert any("'big5' is not one this reader knows" in n for n in extract.notes)


def test_bytes_valid_in_both_follow_the_declaration(put):
    # 谢伟 in GBK is D0BB CEB0, which is also valid UTF-8 ("лΰ"): a tiny file is ambiguous.
    data = "a,b\n1,谢伟\n".encode("gbk")
    assert data.decode("utf-8") == "a,b\n1,лΰ\n"
    declared = read_extract(put("a.csv", data), "gbk")
    assert declared.encoding == "gbk" and declared.columns[1].to_pylist() == ["谢伟"]
    assert read_extract(put("b.csv", data)).encoding == "utf-8"
