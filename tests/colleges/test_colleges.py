"""Colleges: create, edit, delete with the rules Flick's database does not enforce."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from flick_admin.db import College, CollegeBranch
from flick_admin.db.colleges import DEFAULT_COLLEGE_PROFILE
from tests import factories
from tests.conftest import audit_rows


def college_form(**overrides):
    data = {"name": "Greenfield Medical College", "email_domain": "GMC.edu.in", "city": "Nagpur",
            "state": "Maharashtra", "profile": "", "branches": []}
    data.update(overrides)
    return data


def test_create_college_with_branches_is_one_audited_change(client, dbs, login_as):
    admin = login_as("admin")
    cse, ece = factories.BranchFactory(name="CSE"), factories.BranchFactory(name="ECE")
    response = client.post("/colleges/new", data=college_form(branches=[str(cse.id), str(ece.id)]))
    assert response.status_code == 303
    college = dbs.scalars(sa.select(College).where(College.email_domain == "gmc.edu.in")).one()
    assert college.profile == DEFAULT_COLLEGE_PROFILE
    links = set(dbs.scalars(sa.select(CollegeBranch.branch_id).where(CollegeBranch.college_id == college.id)))
    assert links == {cse.id, ece.id}
    (row,) = audit_rows(dbs, action="admin:created:college")
    assert (row.entity_type, row.entity_id, row.actor_id) == ("college", str(college.id), admin.id)
    assert row.after["emailDomain"] == "gmc.edu.in" and row.after["branches"] == ["CSE", "ECE"]


@pytest.mark.parametrize(("field", "value", "message"), [
    ("email_domain", "not a domain", "not a valid email domain"),
    ("email_domain", "localhost", "not a valid email domain"),
    ("email_domain", "-bad.edu", "not a valid email domain"),
    ("name", "x", "at least 3"),
    ("city", "", "at least 2"),
    ("profile", "javascript:alert(1)", "http:// or https://"),
    ("profile", "ftp://files.example/logo.png", "http:// or https://"),
    ("branches", ["not-a-uuid"], "not a branch id"),
    ("branches", ["00000000-0000-0000-0000-000000000001"], "Unknown branch"),
])
def test_invalid_input_is_a_form_error_and_writes_nothing(client, dbs, login_as, field, value, message):
    login_as("admin")
    response = client.post("/colleges/new", data=college_form(**{field: value}))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page and 'data-testid="form-error"' in page
    assert 'value="Maharashtra"' in page  # what was typed is kept
    assert dbs.scalar(sa.select(sa.func.count()).select_from(College)) == 0
    assert audit_rows(dbs) == []


def test_duplicate_domain_is_refused_case_insensitively(client, dbs, login_as):
    login_as("admin")
    factories.CollegeFactory(name="Existing", email_domain="gmc.edu.in")
    response = client.post("/colleges/new", data=college_form(email_domain="@GMC.EDU.IN"))
    assert response.status_code == 409
    assert "already belongs to Existing" in response.get_data(as_text=True)
    assert dbs.scalar(sa.select(sa.func.count()).select_from(College)) == 1


def test_edit_records_only_the_changed_fields_and_branch_changes(client, dbs, login_as):
    login_as("admin")
    keep, drop, add = (factories.BranchFactory(name=n) for n in ("Keep", "Drop", "Add"))
    college = factories.CollegeFactory(name="Old Name", email_domain="old.edu")
    factories.CollegeBranchFactory(college=college, branch=keep)
    factories.CollegeBranchFactory(college=college, branch=drop)
    response = client.post(f"/colleges/{college.id}/edit", data=college_form(
        name="New Name", email_domain="old.edu", city=college.city, state=college.state,
        branches=[str(keep.id), str(add.id)]))
    assert response.status_code == 303
    (row,) = audit_rows(dbs, action="admin:updated:college")
    assert row.before == {"name": "Old Name", "branches": ["Drop", "Keep"]}
    assert row.after == {"name": "New Name", "branches": ["Add", "Keep"]}
    # Saving the same again changes nothing and writes nothing.
    client.post(f"/colleges/{college.id}/edit", data=college_form(
        name="New Name", email_domain="old.edu", city=college.city, state=college.state,
        branches=[str(keep.id), str(add.id)]))
    assert len(audit_rows(dbs, action="admin:updated:college")) == 1


def test_edit_to_a_domain_another_college_has_is_409(client, dbs, login_as):
    login_as("admin")
    factories.CollegeFactory(email_domain="taken.edu")
    college = factories.CollegeFactory(email_domain="mine.edu")
    response = client.post(f"/colleges/{college.id}/edit", data=college_form(email_domain="taken.edu"))
    assert response.status_code == 409
    dbs.expire_all()
    assert dbs.get(College, college.id).email_domain == "mine.edu"


def test_delete_is_refused_while_students_exist(client, dbs, login_as):
    login_as("admin")
    college = factories.CollegeFactory(email_domain="busy.edu")
    factories.StudentFactory.create_batch(3, college=college)
    page = client.get(f"/colleges/{college.id}").get_data(as_text=True)
    assert "<strong>3</strong> student(s)" in page
    response = client.post(f"/colleges/{college.id}/delete", data={"confirmation": "busy.edu"})
    assert response.status_code == 409 and "3 student(s)" in response.get_data(as_text=True)
    assert dbs.get(College, college.id) is not None


def test_delete_needs_the_typed_domain_and_is_audited(client, dbs, login_as):
    login_as("admin")
    college = factories.CollegeFactory(name="Empty College", email_domain="empty.edu")
    factories.CollegeBranchFactory(college=college)
    college_id = college.id
    request_id = factories.CollegeRequestFactory(status="approved", resolved_college_id=college_id).id
    assert client.post(f"/colleges/{college_id}/delete", data={"confirmation": "nope"}).status_code == 400
    assert client.post(f"/colleges/{college_id}/delete", data={"confirmation": "EMPTY.edu"}).status_code == 303
    dbs.expunge_all()
    assert dbs.get(College, college_id) is None
    from flick_admin.db import CollegeRequest

    assert dbs.get(CollegeRequest, request_id).resolved_college_id is None
    (row,) = audit_rows(dbs, action="admin:deleted:college")
    assert row.before["name"] == "Empty College" and row.metadata_["label"] == "Empty College"


def test_list_search_sort_and_counts(client, dbs, login_as):
    login_as("moderator")
    big = factories.CollegeFactory(name="Alpha Big", city="Kochi")
    factories.StudentFactory.create_batch(2, college=big)
    factories.CollegeBranchFactory(college=big)
    factories.CollegeFactory(name="Beta Small", city="Surat")
    page = client.get("/colleges/", query_string={"q": "kochi"}).get_data(as_text=True)
    assert "Alpha Big" in page and "Beta Small" not in page
    assert "<td>2</td><td>1</td>" in page
    ordered = client.get("/colleges/", query_string={"sort": "students"}).get_data(as_text=True)
    assert ordered.index("Alpha Big") < ordered.index("Beta Small")
    assert client.get("/colleges/", query_string={"sort": "size"}).status_code == 400


def test_moderators_and_auditors_cannot_change_colleges(client, dbs, login_as):
    college = factories.CollegeFactory()
    for role in ("moderator", "auditor"):
        login_as(role)
        assert client.post("/colleges/new", data=college_form()).status_code == 403
        assert client.post(f"/colleges/{college.id}/delete",
                           data={"confirmation": college.email_domain}).status_code == 403
        page = client.get(f"/colleges/{college.id}").get_data(as_text=True)
        assert "Delete college" not in page
    assert audit_rows(dbs) == []


def test_a_field_error_is_shown_next_to_its_field_and_tied_to_it(client, dbs, login_as):
    login_as("admin")
    response = client.post("/colleges/new", data={"name": "Field Error College", "email_domain": "not a domain",
                                                  "city": "Pune", "state": "MH"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    field = page.split('id="email_domain"', 1)[1].split(">", 1)[0]
    assert 'aria-invalid="true"' in field and 'aria-describedby="email_domain-error"' in field
    assert '<div id="email_domain-error" class="invalid-feedback d-block">' in page
    assert 'aria-invalid' not in page.split('id="city"', 1)[1].split(">", 1)[0]


@pytest.mark.postgres_only
def test_the_database_refuses_a_college_delete_that_would_cascade_to_students(app, dbs):
    """Past the dashboard's own check (a student who joined after it), the database function
    the deletion goes through still refuses: a 409, and nothing is deleted."""
    from flick_admin.colleges import services
    from flick_admin.db import PlatformUser
    from flick_admin.db.transaction import transaction
    from flick_admin.extensions import db
    from flick_admin.refusals import Conflict

    student = factories.StudentFactory()
    dbs.flush()
    with app.test_request_context():
        college = db.session.get(College, student.college_id)
        with pytest.raises(Conflict, match="has students"):
            with transaction() as session:
                services._delete_row(session, college)
        db.session.remove()
    dbs.expire_all()
    assert dbs.get(College, student.college_id) is not None
    assert dbs.get(PlatformUser, student.id) is not None
