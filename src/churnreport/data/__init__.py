"""Data layer: read sources, map them onto the canonical contract, validate, derive spells."""

from churnreport.data.load import (
    Dataset,
    SavedDataset,
    load_and_save,
    load_dataset,
    read_tables,
    save_tables,
)
from churnreport.data.quality import DataQuality

__all__ = [
    "Dataset",
    "DataQuality",
    "SavedDataset",
    "load_and_save",
    "load_dataset",
    "read_tables",
    "save_tables",
]
