"""Import every model module so ``Base.metadata`` is complete (Alembic, tests, CLI)."""

from backend.calendar import models as calendar_models  # noqa: F401
from backend.cards import models as cards_models  # noqa: F401
from backend.commitments import models as commitments_models  # noqa: F401
from backend.common import models as common_models  # noqa: F401
from backend.evaluation import models as evaluation_models  # noqa: F401
from backend.intercept import models as intercept_models  # noqa: F401
from backend.lists import models as lists_models  # noqa: F401
from backend.loans import models as loans_models  # noqa: F401
from backend.objections import models as objections_models  # noqa: F401
from backend.perks import models as perks_models  # noqa: F401
from backend.platform import scheduler as scheduler_models  # noqa: F401
from backend.platform.db import Base
from backend.queues import models as queues_models  # noqa: F401
from backend.records import models as records_models  # noqa: F401
from backend.repair import models as repair_models  # noqa: F401
from backend.sessions import models as sessions_models  # noqa: F401
from backend.staff import models as staff_models  # noqa: F401
from backend.subjects import models as subjects_models  # noqa: F401
from backend.uploads import models as uploads_models  # noqa: F401

metadata = Base.metadata
