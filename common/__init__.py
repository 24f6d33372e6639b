"""The base layer under every app: plumbing that knows no domain (after pretalx's `pretalx/common`).

Nothing here imports grids, residents, visits, cases or portal; they all may import it.
"""
