"""queues (审核队列), objections (异议申诉) and evidence uploads

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "queue_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("ref_id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=30), nullable=False),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("step_started_on", sa.Date(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("deadline_rule", sa.String(length=40), nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=30), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_late", sa.Boolean(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignee_id"], ["staff_users.id"], name=op.f("fk_queue_items_assignee_id_staff_users")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"], ["departments.id"], name=op.f("fk_queue_items_department_id_departments")
        ),
        sa.ForeignKeyConstraint(["subject_id"], ["subjects.id"], name=op.f("fk_queue_items_subject_id_subjects")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queue_items")),
        sa.UniqueConstraint("kind", "ref_id", name="uq_queue_items_kind_ref"),
    )
    op.create_index(op.f("ix_queue_items_assignee_id"), "queue_items", ["assignee_id"], unique=False)
    op.create_index("ix_queue_items_department_open", "queue_items", ["department_id", "is_open", "kind"], unique=False)
    op.create_index("ix_queue_items_open_deadline", "queue_items", ["is_open", "deadline"], unique=False)
    op.create_index(op.f("ix_queue_items_subject_id"), "queue_items", ["subject_id"], unique=False)

    op.create_table(
        "queue_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("from_state", sa.String(length=30), nullable=True),
        sa.Column("to_state", sa.String(length=30), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["queue_items.id"], name=op.f("fk_queue_events_item_id_queue_items")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queue_events")),
    )
    op.create_index(op.f("ix_queue_events_item_id"), "queue_events", ["item_id"], unique=False)

    op.create_table(
        "uploads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("media_type", sa.String(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("attached_to", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_uploads_account_id_accounts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_uploads")),
    )
    op.create_index(op.f("ix_uploads_account_id"), "uploads", ["account_id"], unique=False)

    op.create_table(
        "objections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column(
            "ground",
            sa.Enum(
                "wrong",
                "omission",
                "duplicate",
                "not_publishable",
                "overdue_publicity",
                "inconsistent",
                name="ground",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("promise_version", sa.String(length=40), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "submitted",
                "incomplete",
                "verifying",
                "maintained",
                "corrected",
                "revoked",
                "refused",
                name="objectionstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column(
            "refuse_reason",
            sa.Enum("not_own", "incomplete", "other", name="refusereason", native_enum=False, length=20),
            nullable=True,
        ),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("new_record_id", sa.Integer(), nullable=True),
        sa.Column("remedy", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_objections_account_id_accounts")),
        sa.ForeignKeyConstraint(
            ["new_record_id"], ["credit_records.id"], name=op.f("fk_objections_new_record_id_credit_records")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name=op.f("fk_objections_person_id_persons")),
        sa.ForeignKeyConstraint(
            ["record_id"], ["credit_records.id"], name=op.f("fk_objections_record_id_credit_records")
        ),
        sa.ForeignKeyConstraint(["subject_id"], ["subjects.id"], name=op.f("fk_objections_subject_id_subjects")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objections")),
    )
    op.create_index(op.f("ix_objections_person_id"), "objections", ["person_id"], unique=False)
    op.create_index(op.f("ix_objections_subject_id"), "objections", ["subject_id"], unique=False)
    op.create_index(
        "uq_objections_open_record",
        "objections",
        ["record_id"],
        unique=True,
        postgresql_where=sa.text("is_open"),
        sqlite_where=sa.text("is_open = 1"),
    )


def downgrade() -> None:
    op.drop_index("uq_objections_open_record", table_name="objections")
    op.drop_index(op.f("ix_objections_subject_id"), table_name="objections")
    op.drop_index(op.f("ix_objections_person_id"), table_name="objections")

    op.drop_table("objections")
    op.drop_index(op.f("ix_uploads_account_id"), table_name="uploads")

    op.drop_table("uploads")
    op.drop_index(op.f("ix_queue_events_item_id"), table_name="queue_events")

    op.drop_table("queue_events")
    op.drop_index(op.f("ix_queue_items_subject_id"), table_name="queue_items")
    op.drop_index("ix_queue_items_open_deadline", table_name="queue_items")
    op.drop_index("ix_queue_items_department_open", table_name="queue_items")
    op.drop_index(op.f("ix_queue_items_assignee_id"), table_name="queue_items")

    op.drop_table("queue_items")
