def test_small_town_builds(town):
    assert town.a1.village == town.va
    assert town.r_a1w.id_number_masked == "4103**********0017"
