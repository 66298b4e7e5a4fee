"""Parser of the monitoring query language: ASTs, precedence and error positions."""

from __future__ import annotations

import pytest

from crisisdesk.sources.query import (
    And,
    Field,
    FieldName,
    Hashtag,
    Mention,
    Node,
    Not,
    Or,
    Phrase,
    QuerySyntaxError,
    Term,
    format_error,
    parse,
)


def t(*words: str, wildcard: bool = False) -> Term:
    return Term(words, wildcard)


@pytest.mark.parametrize(
    ("query", "ast"),
    [
        # literals
        ("bahn", t("bahn")),
        ("Verspätung", t("verspaetung")),
        ("verspät*", t("verspaet", wildcard=True)),
        ("s-bahn", t("s", "bahn")),
        ("bahn!", t("bahn")),
        ('"Deutsche  Bahn,"', Phrase(("deutsche", "bahn"))),
        ('"#bahn streik"', Phrase(("bahn", "streik"))),
        ('"@DB_Bahn hilfe"', Phrase(("@db_bahn", "hilfe"))),
        ("#DB", Hashtag("db")),
        ("#Bahn*", Hashtag("bahn", wildcard=True)),
        ("#Störung", Hashtag("stoerung")),
        ("@DB_Bahn", Mention("db_bahn")),
        ("@db*", Mention("db", wildcard=True)),
        ("lang:DE", Field(FieldName.LANG, "de")),
        ("LANG:de", Field(FieldName.LANG, "de")),
        ("platform:x", Field(FieldName.PLATFORM, "x")),
        ("kind:message", Field(FieldName.KIND, "message")),
        ('author:"Deutsche  Bahn"', Field(FieldName.AUTHOR, "deutsche bahn")),
        ("author:@DB_Bahn", Field(FieldName.AUTHOR, "@db_bahn")),
        ("10:30", t("10", "30")),  # not an identifier, so not a field
        # operators, implicit AND, precedence NOT > AND > OR
        ("bahn streik", And((t("bahn"), t("streik")))),
        ("bahn AND streik", And((t("bahn"), t("streik")))),
        ("bahn and streik", And((t("bahn"), t("and"), t("streik")))),  # keywords are upper case
        ("a OR b c", Or((t("a"), And((t("b"), t("c")))))),
        ("a b OR c", Or((And((t("a"), t("b"))), t("c")))),
        ("a AND b OR c AND d", Or((And((t("a"), t("b"))), And((t("c"), t("d")))))),
        ("NOT a b", And((Not(t("a")), t("b")))),
        ("a OR NOT b", Or((t("a"), Not(t("b"))))),
        ("NOT NOT a", Not(Not(t("a")))),
        ('a -b -"c d"', And((t("a"), Not(t("b")), Not(Phrase(("c", "d")))))),
        ("a -(b OR c)", And((t("a"), Not(Or((t("b"), t("c"))))))),
        ("bahn -lang:en", And((t("bahn"), Not(Field(FieldName.LANG, "en"))))),
        ("(a OR b) c", And((Or((t("a"), t("b"))), t("c")))),
        ("a (b c) d", And((t("a"), t("b"), t("c"), t("d")))),  # nested ANDs are flattened
        ("(a OR (b OR c))", Or((t("a"), t("b"), t("c")))),
        ('(bahn)"zug"', And((t("bahn"), Phrase(("zug",))))),
        (
            '("deutsche bahn" OR #db OR @DB_Bahn) verspät* -gewinnspiel lang:de',
            And(
                (
                    Or((Phrase(("deutsche", "bahn")), Hashtag("db"), Mention("db_bahn"))),
                    t("verspaet", wildcard=True),
                    Not(t("gewinnspiel")),
                    Field(FieldName.LANG, "de"),
                )
            ),
        ),
    ],
)
def test_parse(query: str, ast: Node) -> None:
    assert parse(query) == ast


def test_positions_point_into_the_query() -> None:
    ast = parse("bahn -#db")
    assert isinstance(ast, And)
    negation = ast.operands[1]
    assert isinstance(negation, Not)
    assert (ast.operands[0].position, negation.position, negation.operand.position) == (0, 5, 6)


@pytest.mark.parametrize(
    ("query", "position", "message"),
    [
        ("", 0, "empty query: expected a term"),
        ("   ", 0, "empty query"),
        ("bahn AND", 8, "unexpected end of query after 'AND' at position 8, expected a term, phrase"),
        ("bahn OR", 7, "unexpected end of query after 'OR' at position 7"),
        ("NOT", 3, "unexpected end of query after 'NOT' at position 3"),
        ("bahn AND (streik", 16, "expected ')' at position 16 to close the '(' at position 9"),
        ("bahn AND (streik OR", 19, "after 'OR' at position 19"),
        ("()", 0, "empty parentheses at position 0"),
        ("bahn ( )", 5, "empty parentheses at position 5"),
        ("bahn)", 4, "unexpected ')' at position 4 without a matching '('"),
        ('bahn "deutsche bahn', 5, "unbalanced quote: the '\"' at position 5 is never closed"),
        ('""', 0, "empty phrase at position 0"),
        ("bahn OR OR zug", 8, "after 'OR' at position 8, found 'OR'"),
        ("bahn AND OR zug", 9, "after 'AND' at position 9, found 'OR'"),
        ("NOT )", 4, "after 'NOT' at position 4, found ')'"),
        ("bahn - zug", 5, "right after '-' at position 5"),
        ("foo:bar", 0, "unknown field 'foo' at position 0; allowed fields: author, kind, lang, platform"),
        ("bahn https://bahn.de", 5, "unknown field 'https'"),
        ("lang:", 5, "expected a value after 'lang:' at position 5"),
        ('author:""', 7, "expected a value after 'author:'"),
        ("ver*ung", 3, "'*' is only allowed at the end of a word at position 3"),
        ("v*", 1, "a wildcard needs at least 2 letters before '*' at position 1"),
        ("#a*", 2, "a wildcard needs at least 2 letters"),
        ("#deutsche-bahn", 0, "a hashtag may only contain letters, digits and '_'"),
        ("@db.bsky.social", 0, "a mention may only contain letters, digits and '_'"),
        ("#", 0, "a hashtag may only contain"),
        ("bahn !!!", 5, "the word '!!!' at position 5 contains no letters or digits"),
        ("zug 😡", 4, "the word '😡' at position 4 contains no letters or digits"),
    ],
)
def test_syntax_errors(query: str, position: int, message: str) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse(query)
    assert info.value.position == position
    assert message in str(info.value)
    assert f"position {position}" in info.value.message
    assert isinstance(info.value, ValueError)


def test_format_error_puts_a_caret_under_the_position() -> None:
    query = "bahn AND (streik"
    with pytest.raises(QuerySyntaxError) as info:
        parse(query)
    assert format_error(query, info.value) == (
        "bahn AND (streik\n                ^\nexpected ')' at position 16 to close the '(' at position 9"
    )
