"""Fulfilment: approval fans a request out into tasks, run by RQ workers (or in-process).

`plan` decides the tasks, `runner` runs one task through its connector and settles the
request, `queue` hands tasks to RQ or to threads of this process, `worker` is the
`dsar worker` command, `api` the task endpoints for staff and outside bots.
"""
