"""The parts of a consultation's page that everyone sees alike, as plain values compared by value:
a published response's card, and the results. Their HTML is made once per process from these
(web.made_once) and taken again on every visit, by visitors, parents and staff alike.

What a part shows is exactly what these hold: its macro (consultations/_macros.html
response_card, consultations/_results.html results_section) sees nothing else. Who is looking
(the actions under a card, "report", "hide") is added around it, at each visit."""

import json
from datetime import datetime
from typing import NamedTuple

from portal.consultations.models import Question, QuestionKind, Response, Stance
from portal.consultations.responses import Results

# Named tuples: compared and hashed as tuples are, in C (web.made_once looks them up on every
# visit, twenty cards a page).


class ShownAuthor(NamedTuple):
    shown_name: str  # User.shown_name, in the page's language


class QuestionShown(NamedTuple):
    """A question as an answer to it is shown (models.shown_answers and answer_words read these)."""

    id: int
    kind: QuestionKind
    prompt: str
    choices: tuple[str, ...]

    @classmethod
    def of(cls, question: Question) -> "QuestionShown":
        return cls(question.id, question.kind, question.prompt, tuple(question.choices or ()))


class ResponseCard(NamedTuple):
    """What the card of a published response shows: its stance, its author as others see them
    (the name only where the author chose to show it, or to those who see authors) with their
    staff badges, when it was published, its comments and its answers."""

    id: int
    author_id: int
    stance: Stance
    show_name: bool
    author: ShownAuthor
    badges: tuple  # the author's StaffBadges, where the page shows them
    published_at: datetime | None
    body: str
    answers_json: str  # the stored answers, in one canonical spelling (a dict is not a key)

    @property
    def answers(self) -> dict:
        return json.loads(self.answers_json)

    @classmethod
    def of(cls, response: Response, badges: dict) -> "ResponseCard":
        return cls(
            id=response.id,
            author_id=response.author_id,
            stance=response.stance,
            show_name=response.show_name,
            author=ShownAuthor(response.author.shown_name),
            badges=tuple(badges.get(response.author_id, ())),
            published_at=response.published_at,
            body=response.body or "",
            answers_json=json.dumps(response.answers or {}, sort_keys=True, ensure_ascii=False),
        )


def response_cards(responses, badges: dict) -> list[ResponseCard]:
    return [ResponseCard.of(response, badges) for response in responses]


def questions_shown(questions) -> tuple[QuestionShown, ...]:
    return tuple(QuestionShown.of(question) for question in questions)


class ResultsShown(NamedTuple):
    """responses.Results as the results section shows them."""

    published: int
    stances: tuple[tuple[Stance, int], ...]
    questions: tuple[tuple[QuestionShown, tuple[tuple[str, int], ...]], ...]

    @classmethod
    def of(cls, results: Results) -> "ResultsShown":
        return cls(
            results.published,
            tuple(results.stances),
            tuple((QuestionShown.of(question), tuple(choices)) for question, choices in results.questions),
        )
