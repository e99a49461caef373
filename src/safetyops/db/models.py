"""Imports every area's tables so that the metadata (and Alembic) sees all of them.

An area that adds tables adds one import line here and a migration on the one line of revisions in
db/migrations/versions/ (revision "00NN_<what>", down_revision the current head: see CONTRIBUTING.md).
"""

import safetyops.auth.models
import safetyops.delivery.models
import safetyops.guidelines.models
import safetyops.intake.models
import safetyops.planning.models
import safetyops.projects.models
import safetyops.quality.models
import safetyops.work.models
import safetyops.workforce.models  # noqa: F401
from safetyops.db.base import Base

metadata = Base.metadata
