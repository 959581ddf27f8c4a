def test_home_page_lists_schools_by_district(client, school, district):
    response = client.get("/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert school.name_zh in page
    assert district.name_zh in page
