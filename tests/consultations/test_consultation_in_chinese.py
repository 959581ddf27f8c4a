"""A consultation's page in Chinese: its dates are labelled as a period (征集时间), which reads
right whatever the phase; "正在征集" is only the status of one that is open."""

import re

from portal.consultations.models import Phase
from tests.helpers.consultations import create_consultation

CHINESE = {"Accept-Language": "zh-CN"}


def test_a_closed_consultations_dates_are_labelled_as_a_period_not_as_open(client, school, compiled_catalogues):
    closed = create_consultation(school, Phase.CLOSED)

    page = client.get(f"/consultations/{closed.id}", headers=CHINESE).get_data(as_text=True)

    assert "<dt>征集时间</dt>" in page
    assert "<dt>正在征集</dt>" not in page
    assert re.search(r"<dd>.*?至.*?</dd>", page, re.S)
