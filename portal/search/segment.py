"""Words from text, the same at index time and at query time: Chinese segmented by rjieba (the
Rust port of jieba: bench/search_segmenter.py measured it 29 times faster, with the same
words) with the schools' names and governance terms as a user dictionary, every Chinese
character on its own (so one character and any two-character word match, whatever the
segmenter made of the sentence), each two Chinese characters side by side as a pair token (so a
word the dictionary does not know is found by its pairs, with no positions: PostgreSQL's GIN index
answers that alone, as it cannot a phrase), Latin words lowercased, and pinyin for names.

Both engines (SQLite FTS5's unicode61 tokenizer, PostgreSQL's `simple` configuration) only ever
see these words separated by spaces: whatever each would make of a run of Chinese, they agree.
"""

import re
import threading
import unicodedata
from functools import lru_cache

# Words the segmenter must keep whole: the governance vocabulary of Chongqing's schools. The
# schools' own names (and their parts: 解放路小学) are added when the dictionary is first used.
GOVERNANCE_TERMS = (
    "校务委员会",
    "家长委员会",
    "家委会",
    "教职工代表大会",
    "教代会",
    "学校章程",
    "章程",
    "理事会",
    "董事会",
    "家长学校",
    "膳食委员会",
    "课后服务",
    "午休",
    "食堂",
    "校服",
    "研学",
    "责任督学",
    "教育委员会",
    "教委",
    "征求意见",
    "意见征集",
    "会议纪要",
    "决议",
    "校长办公会",
    "党组织会议",
)

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RUN = re.compile(f"[{_CJK}]+")
_CJK_CHAR = re.compile(f"[{_CJK}]")
# What ends a pair token (陪餐 -> 陪餐x): no word of the index mixes Chinese characters and Latin
# letters (the text is cut between them), so a pair never collides with a word; both engines'
# tokenizers keep it one token (FTS5's unicode61 and PostgreSQL's parser: letters side by side).
PAIR_MARK = "x"
# A Latin word or number: what both engines' tokenizers call a token (letters and digits).
_LATIN_WORD = re.compile(r"[^\W_]+", re.UNICODE)

_lock = threading.Lock()
_segmenter = None
# School names seen since the segmenter was built (a school created later is added as it comes).
_added: set[str] = set()


def _school_name_parts(name: str) -> list[str]:
    """解放路小学 from 重庆市渝中区解放路小学: the name without the city and district in front, so that
    the short name people say stays one word too."""
    parts = [name]
    short = re.sub(r"^(重庆市)?([\u4e00-\u9fff]{1,4}?[区县])?", "", name)
    if short and short != name:
        parts.append(short)
    return parts


def segmenter():
    """The process's one rjieba segmenter with the user dictionary (built on first use: loading
    costs about 0.1 s, so never at import or per request)."""
    global _segmenter
    if _segmenter is None:
        with _lock:
            if _segmenter is None:
                import rjieba

                built = rjieba.Jieba()
                for term in GOVERNANCE_TERMS:
                    built.add_word(term, 50_000, None)
                _segmenter = built
    return _segmenter


def add_names(names) -> None:
    """Keep these names (schools') whole from now on in this process."""
    jieba = segmenter()
    for name in names:
        for part in _school_name_parts(name or ""):
            if part and part not in _added and _CJK_RUN.fullmatch(part):
                jieba.add_word(part, 50_000, None)
                _added.add(part)
                words_of.cache_clear()


def known_word(word: str) -> bool:
    """The dictionary (with the user dictionary) holds `word`."""
    return bool(segmenter().has_word(word))


def normalise(text: str) -> str:
    """NFKC (full-width letters and digits become ASCII) and lowercase."""
    return unicodedata.normalize("NFKC", text or "").lower()


@lru_cache(maxsize=4096)
def words_of(run: str) -> tuple[str, ...]:
    """A run of Chinese characters segmented for searching: the words and the words inside them."""
    return tuple(word for word in segmenter().cut_for_search(run) if word.strip())


def pair_terms(run: str) -> list[str]:
    """The pair tokens of a run of Chinese characters: 陪餐制 -> 陪餐x 餐制x."""
    return [run[n : n + 2] + PAIR_MARK for n in range(len(run) - 1)]


def index_terms(text: str, *, pinyin: bool = False) -> str:
    """What the index stores for `text`: its words, then (for names) their pinyin, then every
    Chinese character in order, then the pair tokens of each run of Chinese, separated by spaces."""
    text = normalise(text)
    words: list[str] = []
    pairs: list[str] = []
    for piece in re.split(f"([{_CJK}]+)", text):
        if not piece:
            continue
        if _CJK_RUN.fullmatch(piece):
            words.extend(words_of(piece))
            pairs.extend(pair_terms(piece))
            if pinyin:  # a name: also whole, and without its city and district (解放路小学)
                words.extend(_school_name_parts(piece))
                words.extend(pinyin_terms(piece))
        else:
            words.extend(_LATIN_WORD.findall(piece))
    characters = _CJK_CHAR.findall(text)
    return " ".join(words + characters + pairs)


def pinyin_terms(run: str) -> list[str]:
    """Pinyin for a name: every syllable (jie fang lu), and for the name, each word in it and the
    name without its city and district, the syllables joined (jiefanglu) and their initials (jfl)."""
    syllables = _syllables(run)
    terms = list(syllables)
    for word in dict.fromkeys([*words_of(run), *_school_name_parts(run)]):
        if len(word) > 1:
            joined = _syllables(word)
            terms += ["".join(joined), "".join(s[0] for s in joined)]
    return list(dict.fromkeys(term for term in terms if term))


def _syllables(run: str) -> list[str]:
    # Imported at the first name indexed, not with this module: pypinyin's dictionaries take about
    # 55 MiB of every process that imports it, and most web processes never index a school's name
    # (searching needs no pinyin: what is typed in Latin letters is matched as it is).
    from pypinyin import Style, lazy_pinyin

    return [s for s in lazy_pinyin(run, style=Style.NORMAL, errors="ignore") if s.isascii() and s.isalpha()]


def query_terms(query: str) -> list["QueryTerm"]:
    """The terms of what someone typed: the words of each Chinese run, and each Latin word (matched
    as a prefix, so that `jiefang` finds jiefanglu). Every term must match."""
    terms: list[QueryTerm] = []
    for piece in re.split(f"([{_CJK}]+)", normalise(query)):
        if not piece:
            continue
        if _CJK_RUN.fullmatch(piece):
            terms.extend(QueryTerm(word, chinese=True) for word in segmenter().cut(piece) if word.strip())
        else:
            terms.extend(QueryTerm(word, chinese=False) for word in _LATIN_WORD.findall(piece))
    return list(dict.fromkeys(terms))


class QueryTerm(tuple):
    """(text, chinese): a Chinese word is found as that word, or by its pairs of characters side
    by side (whatever the segmenter made of the sentence around it); a Latin word as a word
    starting so."""

    def __new__(cls, text: str, *, chinese: bool):
        return super().__new__(cls, (text, chinese))

    @property
    def text(self) -> str:
        return self[0]

    @property
    def chinese(self) -> bool:
        return self[1]

    @property
    def pairs(self) -> list[str]:
        return list(dict.fromkeys(pair_terms(self.text)))
