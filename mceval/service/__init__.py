"""The grading service (`microcoder eval serve`): one warm grader behind HTTP.

`app` builds the FastAPI application (SandboxFusion-compatible `/run_code`, the native batch
`/grade`, `/health`, `/metrics`); `guard` enforces the bearer token and the request size limit;
`admission` bounds the work admitted (429 + Retry-After beyond it); `run_code` runs single programs
for `/run_code`; `metrics` counts what happened; `serve` runs it all under uvicorn with a graceful
shutdown. `ServiceSettings` holds every option.
"""

from mceval.service.settings import ServiceSettings

__all__ = ["ServiceSettings"]
