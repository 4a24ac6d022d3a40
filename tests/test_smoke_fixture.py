def test_small_town_builds(town):
    assert town.a1.village == town.va
    assert town.r_a1w.id_number_masked == "4103**********0017"


def test_roles_carry_their_groups_permissions(town):
    assert town.police.has_perm("residents.unmask_personal_data")
    assert not town.grid_worker.has_perm("residents.unmask_personal_data")
    assert town.admin.is_staff and town.admin.has_perm("grids.change_grid")
