"""The CRM store and its readings: what the merchants sent and how it did.

The store, a SQLite file or PostgreSQL by URL (``store``), importing and exporting a
merchant's CSV (``ingest``), the history read from the store per data version
(``history``: scored templates, lifts, dispersion), the vector index of each segment's
better half (``index``) with its offline embedding (``embeddings``) and the backends its
vectors live in, chosen by URL (``vectors``, ``chroma_index``, ``pgvector_index``), the
segment's response model (``response_model``) and the store's URL, store and index of a
home (``resources``), and who may use it with what waits for a person (``access``: keys,
sessions, the review queue), and the experiments between messages with their arms
(``experiments``). Imports the ground and ``tools.message`` (the copy features a template
is read with).
"""

from __future__ import annotations

from tools.crm.access import ROLES, Access, Key, ReviewRow, Role, access_for
from tools.crm.embeddings import MODEL_ID, embedder
from tools.crm.experiments import (
    ArmResults,
    Experiment,
    ExperimentArm,
    Experiments,
    experiments_for,
)
from tools.crm.history import (
    LEARNED,
    Columns,
    ScoredTemplate,
    campaign_lifts,
    columns_of,
    feature_lifts,
    features_of,
    joint_segment_lifts,
    merchant_leans,
    merchant_voice,
    own_dispersion,
    own_history,
    per_data_version,
    per_text,
    score,
    segment_columns,
    segment_dispersion,
    segment_history,
    segment_lifts,
)
from tools.crm.index import Entry, Hit, TemplateIndex, rank
from tools.crm.ingest import (
    IMPORT_COLUMNS,
    OPTIONAL_COLUMNS,
    IngestError,
    Problem,
    export_file,
    ingest_file,
    spreadsheet_safe,
    validate_file,
)
from tools.crm.resources import index_for, store_for, store_url
from tools.crm.response_model import ResponseModel, segment_model
from tools.crm.store import (
    TEMPLATE_COLUMNS,
    WORK,
    Store,
    StoreUnavailable,
    TemplateRecord,
    sqlite_url,
    store_exists,
)

__all__ = [
    "IMPORT_COLUMNS",
    "LEARNED",
    "MODEL_ID",
    "OPTIONAL_COLUMNS",
    "ROLES",
    "TEMPLATE_COLUMNS",
    "WORK",
    "Access",
    "ArmResults",
    "Columns",
    "Entry",
    "Experiment",
    "ExperimentArm",
    "Experiments",
    "Hit",
    "IngestError",
    "Key",
    "Problem",
    "ResponseModel",
    "ReviewRow",
    "Role",
    "ScoredTemplate",
    "Store",
    "StoreUnavailable",
    "TemplateIndex",
    "TemplateRecord",
    "access_for",
    "campaign_lifts",
    "columns_of",
    "embedder",
    "experiments_for",
    "export_file",
    "feature_lifts",
    "features_of",
    "index_for",
    "ingest_file",
    "joint_segment_lifts",
    "merchant_leans",
    "merchant_voice",
    "own_dispersion",
    "own_history",
    "per_data_version",
    "per_text",
    "rank",
    "score",
    "segment_columns",
    "segment_dispersion",
    "segment_history",
    "segment_lifts",
    "segment_model",
    "spreadsheet_safe",
    "sqlite_url",
    "store_exists",
    "store_for",
    "store_url",
    "validate_file",
]
