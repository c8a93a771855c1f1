"""What every page of the studio shares: its options, its folders, the job manager and the upload limits."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ..config.studio import StudioConfig
from ..errors import GanvasError
from .jobs import Job, JobManager
from .paths import Layout, inside
from .uploads import Limits


@dataclass
class Studio:
    config: StudioConfig
    layout: Layout
    jobs: JobManager
    limits: Limits

    @classmethod
    def open(cls, config: StudioConfig, command: Optional[list] = None) -> "Studio":
        layout = Layout.at(config.runs)
        jobs = JobManager(layout, {"train": config.train_slots, "stylize": config.stylize_slots}, command)
        return cls(config, layout, jobs, Limits(config.max_upload_mb, config.max_upload_files))

    def run_path(self, name: Optional[str]) -> Path:
        """The run folder a page names; refused unless it is directly inside the runs folder."""
        if not name:
            raise GanvasError("choose a run first")
        path = self.layout.runs / name
        if path.parent != self.layout.runs or name.startswith(".") or inside(path, (self.layout.runs,)) is None:
            raise GanvasError(f"{name}: not a run of this studio")
        return path

    def job_of(self, folder: Path) -> Optional[Job]:
        return self.jobs.job_for(folder)
