import pytest
from django.urls import reverse

from grids.models import Building
from tests.factories import BuildingFactory

pytestmark = pytest.mark.django_db


def test_anonymous_is_sent_to_login(client, grid):
    response = client.get(reverse("grids:building_new", args=[grid.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_staff_registers_a_building_in_a_grid_of_their_community(client, staff, grid):
    client.force_login(staff)
    page = client.get(reverse("grids:detail", args=[grid.pk])).content.decode()
    assert reverse("grids:building_new", args=[grid.pk]) in page
    response = client.post(reverse("grids:building_new", args=[grid.pk]), {"address": " 靖远路9号 "})
    assert response.status_code == 302
    assert list(Building.objects.filter(grid=grid).values_list("address", flat=True)) == ["靖远路9号"]


def test_an_address_already_in_the_grid_is_refused_and_the_input_kept(client, staff, grid):
    BuildingFactory(grid=grid, address="靖远路9号")
    client.force_login(staff)
    response = client.post(reverse("grids:building_new", args=[grid.pk]), {"address": "靖远路9号"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert 'value="靖远路9号"' in response.content.decode()
    assert Building.objects.filter(grid=grid).count() == 1


def test_a_grid_worker_may_not_register_buildings(client, worker, grid):
    client.force_login(worker)
    assert client.get(reverse("grids:building_new", args=[grid.pk])).status_code == 403
    assert (
        reverse("grids:building_new", args=[grid.pk])
        not in client.get(reverse("grids:detail", args=[grid.pk])).content.decode()
    )


def test_a_grid_outside_the_scope_is_404(client, staff, other_grid):
    client.force_login(staff)
    response = client.post(reverse("grids:building_new", args=[other_grid.pk]), {"address": "草场街1号"})
    assert response.status_code == 404
    assert not Building.objects.filter(grid=other_grid).exists()
