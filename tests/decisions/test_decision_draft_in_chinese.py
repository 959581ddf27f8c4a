"""A draft decision's page in Chinese names it as a Chinese heading does: 决定草稿：标题."""

CHINESE = {"Accept-Language": "zh-CN"}


def test_draft_heading_and_title_use_a_full_width_colon(
    client, school, board_member, login_as, make_draft, compiled_catalogues
):
    draft = make_draft(title="关于校服采购的决定")
    login_as(board_member)

    page = client.get(f"/schools/{school.slug}/manage/decisions/{draft.id}", headers=CHINESE).get_data(as_text=True)

    assert "<h1>决定草稿：关于校服采购的决定</h1>" in page
    assert "<title>决定草稿：关于校服采购的决定 · " in page
    assert "决定草稿: " not in page
