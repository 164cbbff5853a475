"""Questions for forum meetings, and their upvotes

Revision ID: 0021_meeting_questions
Revises: 0020_change_records
Create Date: 2026-12-05

"""
import sqlalchemy as sa
from alembic import op

revision = "0021_meeting_questions"
down_revision = "0020_change_records"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "meeting_question",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("votes", sa.Integer(), server_default="0", nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"], name=op.f("fk_meeting_question_meeting_id_meeting"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["author_id"], ["user_account.id"], name=op.f("fk_meeting_question_author_id_user_account")),
        sa.ForeignKeyConstraint(["answered_by_id"], ["user_account.id"], name=op.f("fk_meeting_question_answered_by_id_user_account")),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"], name=op.f("fk_meeting_question_organisation_id_organisation")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_question")),
    )
    op.create_index(op.f("ix_meeting_question_meeting_id"), "meeting_question", ["meeting_id"])
    op.create_index(op.f("ix_meeting_question_organisation_id"), "meeting_question", ["organisation_id"])
    op.create_table(
        "question_vote",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["question_id"], ["meeting_question.id"], name=op.f("fk_question_vote_question_id_meeting_question"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_question_vote_user_id_user_account"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_question_vote")),
        sa.UniqueConstraint("question_id", "user_id", name=op.f("uq_question_vote_question_id")),
    )
    op.create_index(op.f("ix_question_vote_question_id"), "question_vote", ["question_id"])


def downgrade():
    op.drop_index(op.f("ix_question_vote_question_id"), table_name="question_vote")
    op.drop_table("question_vote")
    op.drop_index(op.f("ix_meeting_question_organisation_id"), table_name="meeting_question")
    op.drop_index(op.f("ix_meeting_question_meeting_id"), table_name="meeting_question")
    op.drop_table("meeting_question")
