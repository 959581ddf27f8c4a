"""How a response's answers read on the pages (consultations.models.shown_answers, through
answer_words, which the exports use too): the questions it answered, in order, with the text, the
chosen choice or the chosen choices; an index that names no choice shows nothing, and a question
left blank is not listed."""

from types import SimpleNamespace

from portal.consultations.models import QuestionKind, shown_answers

TEXT = SimpleNamespace(id=1, kind=QuestionKind.TEXT, choices=[], prompt="建议")
ONE = SimpleNamespace(id=2, kind=QuestionKind.SINGLE, choices=["春装", "冬装"], prompt="先买哪一套")
SEVERAL = SimpleNamespace(id=3, kind=QuestionKind.MULTIPLE, choices=["棉", "麻", "涤纶"], prompt="面料")
QUESTIONS = [TEXT, ONE, SEVERAL]


def test_each_answered_question_in_order_with_its_words():
    answers = {"3": [2, 0], "1": "可机洗", "2": 1}

    assert shown_answers(answers, QUESTIONS) == [(TEXT, "可机洗"), (ONE, "冬装"), (SEVERAL, ["涤纶", "棉"])]


def test_questions_left_blank_are_not_listed():
    assert shown_answers({"1": "", "2": None, "3": []}, QUESTIONS) == []
    assert shown_answers({}, QUESTIONS) == []


def test_an_index_that_names_no_choice_shows_nothing():
    # Out of range, negative (which Python would read from the end), a truth value, text.
    answers = {"2": -1, "3": [5, -2, True, "0", 1]}

    assert shown_answers(answers, QUESTIONS) == [(ONE, ""), (SEVERAL, ["麻"])]
    assert shown_answers({"2": 9}, QUESTIONS) == [(ONE, "")]
    # One index where several could be: read as a list of one, as the exports read it.
    assert shown_answers({"3": 1}, QUESTIONS) == [(SEVERAL, ["麻"])]
