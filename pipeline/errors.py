"""Exception classes and the message templates they render.

Every message names where the problem is (file, line, entry id) and what is allowed,
so a user can fix the input without reading the code.
"""

from __future__ import annotations

from pathlib import Path


class Messages:
    """Message templates, one per kind of bad input."""

    P001 = "{path}: not valid YAML: {problem}"
    P002 = "{path}: expected a mapping with one of the keys {allowed}, got {got}"
    P003 = "{path}, line {line}, entry {entry}: unknown key {key!r}; allowed keys: {allowed}"
    P004 = "{path}, line {line}, entry {entry}: missing key {key!r}"
    P005 = "{path}, line {line}, entry {entry}: {key} must be {expected}, got {got!r}"
    P006 = "{path}, line {line}, entry {entry}: label {label!r} is not one of {allowed}"
    P007 = (
        "{path}, line {line}, entry {entry}: token pattern is not valid for spaCy's Matcher: {problem}; "
        "allowed token attributes: {allowed}"
    )
    P008 = "{path}, line {line}: duplicate entry id {entry!r} (first defined in {first})"
    P009 = "{path}, line {line}, entry {entry}: match example {example!r} must mark the span with [brackets]"
    P010 = "{path}: unknown lexicon list {key!r}; allowed lists: {allowed}"
    P011 = "{path}: no pattern files (*.yml) found"
    P012 = (
        "{path}, line {line}, entry {entry}: {attributes} need the tagger or parser, which the pipeline "
        "excludes for speed; describe the shape with LOWER, ORTH, SHAPE, IS_TITLE, IS_UPPER or punctuation"
    )
    P013 = (
        "{path}: no normalization vocabulary (a file with the top-level key `normalization`); "
        "add one, starting from a copy of the packaged normalization.yml"
    )
    P015 = "{path}:{line} {entry}: matches {share:.0%} of the tokens of all pattern examples; is it too broad?"
    P014 = "{path}: unknown normalization section {key!r}; allowed sections: {allowed}"
    P016 = "{path}, line {line}, entry {entry}: unknown word list {reference!r}; allowed: {allowed}"
    P017 = (
        "{path}, line {line}, entry {entry}: {reference!r} gives no words; a token matches only a list's entries "
        "of one word, and .leading / .last only its entries of several words"
    )
    P018 = "{path}: lexicon list {key!r} is derived from {source}; remove it from the file"
    P020 = "add_patterns: pattern {entry!r} is not valid for spaCy's Matcher: {problem}; fix the token pattern"
    P021 = "{path}: unknown entities section {key!r}; allowed sections: {allowed}"
    P022 = "{path}, line {line}, relation rule {entry}: {problem}"
    A001 = "{path}: no such file or folder; check the path"
    A002 = "{path}: empty article (no text after the front matter); add the text or leave the file out"
    A003 = "{path}: not UTF-8 at byte {offset}; re-save the file as UTF-8, or name its codec with --encoding"
    A004 = "{path}: front matter opened with '---' on line 1 is never closed; add a '---' line after it"
    A005 = "{path}: front matter is not a YAML mapping: {problem}; write it as `key: value` lines"
    A006 = "{path}, line {line}: not a JSON object: {problem}; write one JSON object per line"
    A007 = "{path}, line {line}: {problem}"
    A008 = "{path}: unsupported file type {suffix!r}; use {formats}"
    A009 = "article id {id!r} appears twice: {first} and {second}; give one of them another id"
    A010 = "{pattern}: no {formats} file matches this pattern; check it, and quote it for the shell"
    A011 = (
        "{path}: article is {length:,} characters, longer than the limit of {limit:,} (spaCy's nlp.max_length); "
        "split it into parts"
    )
    A012 = "{path}: cannot read: {problem}; check that the file exists and is readable"
    A013 = "{path}: a broken or looping symbolic link; point it at an existing file or remove it"
    A014 = (
        "{path}: not text (a NUL byte at byte {offset}); give a file of UTF-8 text, or name it by its format "
        "({formats})"
    )
    A015 = "{path}: not {encoding} at byte {offset}; name the file's own codec with --encoding, or re-save it as UTF-8"
    A016 = "{path}: unknown encoding {encoding!r}; give --encoding a codec Python knows (utf-8, cp1252, latin-1, ...)"
    A017 = "{path}: no article text found in the web page; give the page of one article, not an index or a login page"
    A018 = "{path}: no text layer (a scanned PDF?); run OCR first (e.g. `ocrmypdf in.pdf out.pdf`) and give its output"
    A019 = "{path}: the PDF is encrypted; give a copy saved without a password"
    A020 = "{path}: not a readable PDF: {problem}; download or export it again"
    A021 = "{path}: the file is {actual}, not {expected}; rename it with the suffix of what it is"
    A022 = "{path}: {size:,} bytes, more than the {limit:,}-byte limit for one {kind}; split it or leave it out"
    A023 = "{path}: metadata refused: {problem}"
    A024 = "{path}: standard input is closed; pipe JSONL into it, or name the article files"
    A025 = "{path}, line {line}: longer than {limit:,} bytes, more than one article can be; split the record"
    A026 = "{path}: skipped after an internal error ({problem}); please report it, with the file, as a bug"
    A027 = "{path}: the file name is not valid UTF-8, so no dataset can name it; rename the file"
    A028 = (
        "{path}: a symbolic link to {target}, outside the folder being read; skipped (pass --follow-symlinks "
        "to read such links)"
    )
    M001 = (
        "{path}: not a metadata sheet: {problem}; give a CSV file or an Excel workbook with a `file` column "
        "and metadata columns"
    )
    M002 = "{file}: skipped, its row in the metadata sheet {path} is wrong: {problem}"
    E001 = "the Dask engine needs the dask extra: pip install 'policy-extract[dask]' (or .[dask] in a clone)"
    E002 = "{path}: another run is writing to this folder (lock held by pid {pid}); wait for it or use another --out"
    E003 = "{path}: not an evaluation file: {problem}; write it again with `policy-extract evaluate`"
    E004 = "{path}: {problem}; check the path and its permissions, or use another folder"
    E005 = "unknown encoding {encoding!r}; give --encoding a codec Python knows (utf-8, cp1252, latin-1, ...)"
    E006 = (
        "no article was read ({skipped} input(s) skipped); the datasets in {path} are left as they were; "
        "check the paths (folders are searched for {formats} files)"
    )
    E007 = (
        "{path} is {kind}; the lock is a plain file that only policy-extract writes: remove it (what it points at "
        "is left untouched) and run again"
    )
    E008 = (
        "{path}: the datasets could not be written ({problem}); the previous datasets are left as they were; "
        "free some space or fix the permissions, and run again"
    )
    E009 = "{path} is a folder where a dataset goes; nothing was replaced; move the folder away and run again"
    E010 = "{path} is not a folder; {what}"
    E011 = (
        "a worker process died twice on the {articles} articles from {first} (killed, or out of memory?); "
        "the articles done so far are cached: run again to go on, or leave that article out"
    )
    E012 = (
        "model {model!r} is not installed: pip install it, or give --model an installed package's name or the "
        "folder of a saved pipeline"
    )
    G001 = "{path}, line {line}: {problem}"
    G002 = (
        "{path}, line {line}: span {start}-{end} {label} says {text!r} but the article has {actual!r} "
        "at those offsets; fix the offsets, or rebuild the gold with `policy-extract gold`"
    )
    G003 = "gold {gold_id!r} ({gold_path}) and prediction differ in text; re-run extraction on the same article"
    G004 = (
        "{path}, line {line}: annotation {text!r} ({label}) not found as a whole word in article {article}; "
        "copy the string exactly as the article writes it"
    )
    G005 = (
        "{path}, line {line}: annotation {text!r} asks for occurrence {occurrence}; the article has {count}; "
        "list occurrences from 1 to {count}"
    )
    G006 = "{path}: no article with id {id!r} in {articles}; name the annotation file after its article's id"
    D001 = "{path}: not the output folder of a run ({problem}); give a folder that `policy-extract run --out` wrote"


def shown_path(path: str | Path) -> str:
    """How a message names a path: absolute, so it reads the same from any folder.

    `Path.absolute`, not `resolve`: a symbolic link keeps the name the user gave. A name in
    angle brackets (`<stdin>`) is not a file and stays as it is.

    >>> shown_path("/data/a.md"), shown_path("<stdin>"), shown_path("/data/caf\\udce9.md")
    ('/data/a.md', '<stdin>', '/data/caf\\\\xe9.md')
    """
    text = str(path)
    return printable(text if text.startswith("<") else str(Path(text).absolute()))


def printable(text: str) -> str:
    """`text` with what UTF-8 cannot hold (the bytes of a file name that are not UTF-8) shown as escapes.

    >>> printable("caf\\udce9.md")
    'caf\\\\xe9.md'
    """
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a lone surrogate that is no escaped byte
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


class PolicyExtractError(Exception):
    """Base class of every error the tool reports to its user."""


class PatternFileError(PolicyExtractError):
    """A pattern or lexicon file is malformed."""


class ArticleError(PolicyExtractError):
    """An article cannot be read; the batch goes on without it."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path = path


class GoldError(PolicyExtractError):
    """A gold annotation file is malformed or does not fit its article."""
