"""One reusable contract for every owned REST resource: CRUD works, and other users get 404."""

from __future__ import annotations

import pytest

from tests.conftest import client_for


class OwnedResourceContract:
    """Subclasses set `collection` and `required_fields`, and implement `make`, `create_payload`, `update_payload`."""

    collection: str
    required_fields: tuple[str, ...]
    shown_once_fields: tuple[str, ...] = ()
    identity_field = "name"  # a field every object has, to check it is unchanged

    def make(self, user):
        raise NotImplementedError

    def create_payload(self, user) -> dict:
        raise NotImplementedError

    def update_payload(self) -> dict:
        raise NotImplementedError

    def detail(self, object_id) -> str:
        return f"{self.collection}/{object_id}"

    def results(self, response) -> list[dict]:
        body = response.json()
        return body["results"] if isinstance(body, dict) else body

    def test_it_creates_and_returns_the_object(self, alice):
        client = client_for(alice)
        response = client.post(self.collection, self.create_payload(alice), format="json")
        assert response.status_code == 201, response.json()
        fetched = client.get(self.detail(response.json()["id"]))
        assert fetched.status_code == 200
        created = response.json()
        for field in self.shown_once_fields:  # secrets in the create response only
            assert created.pop(field) and field not in fetched.json()
        assert fetched.json() == created

    def test_it_lists_only_the_users_own_objects(self, alice, bob):
        mine, theirs = self.make(alice), self.make(bob)
        ids = {item["id"] for item in self.results(client_for(alice).get(self.collection))}
        assert str(mine.id) in ids and str(theirs.id) not in ids

    def test_it_updates_only_the_fields_sent(self, alice):
        instance = self.make(alice)
        changes = self.update_payload()
        response = client_for(alice).put(self.detail(instance.id), changes, format="json")
        assert response.status_code == 200, response.json()
        for field, value in changes.items():
            assert response.json()[field] == value
        field = self.identity_field
        assert response.json()[field] == changes.get(field, getattr(instance, field))

    def test_it_deletes(self, alice):
        instance = self.make(alice)
        client = client_for(alice)
        assert client.delete(self.detail(instance.id)).status_code == 204
        assert client.get(self.detail(instance.id)).status_code == 404

    @pytest.mark.parametrize("method", ["get", "put", "delete"])
    def test_another_user_gets_404_and_changes_nothing(self, alice, bob, method):
        instance = self.make(alice)
        response = getattr(client_for(bob), method)(self.detail(instance.id), self.update_payload(), format="json")
        assert response.status_code == 404
        field = self.identity_field
        assert client_for(alice).get(self.detail(instance.id)).json()[field] == getattr(instance, field)

    def test_missing_fields_are_named(self, alice):
        response = client_for(alice).post(self.collection, {}, format="json")
        assert response.status_code == 400
        assert set(response.json()["errors"]) >= set(self.required_fields)

    def test_it_requires_credentials(self, anon_client, db):
        assert anon_client.get(self.collection).status_code == 401
