"""The distributed mode: several processes on several machines share one workspace.

Front ends (``crisisdesk serve`` with ``CRISISDESK_BUS_URL``) answer people, the API and the
platforms' webhooks and publish what arrives; workers (``crisisdesk worker``) prepare batches in
parallel and, one at a time, the owner of the pipeline's lease stores them, detects and escalates
(see docs/deployment.md).
"""
