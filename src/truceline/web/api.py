"""The dashboard: the live map at `/` and its static files, all from this server.

    GET /                       the page (static/index.html)
    GET /web/<file>             its scripts and style sheet (static/)
    GET /web/leaflet/<file>     Leaflet, from the `xstatic-leaflet` package

Nothing is fetched from anywhere else: no CDN, no map tiles. The page reads the same
public routes as any client (`/agreement`, `/incidents`, `/sensors`, `/enforcement/...`,
`/entries/{i}`, `/receipts/{i}`, `/log/vkey`, `/log/policy`), so it works on a mirror's
home as on the operator's, and it checks records against the log in the browser.

Every answer carries a Content-Security-Policy that lets the page load scripts, styles
and data from this origin only: the browser itself refuses any request elsewhere, and
a party's signing key, once imported, can only be used by this origin's scripts.
Files are served from a list made when the router is built, never from a path the
request names.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

STATIC = Path(__file__).parent / "static"
CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "media-src 'self'",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".json": "application/json",
}


def leaflet_dir() -> Path:
    """Leaflet's files as the `xstatic-leaflet` package installs them."""
    import xstatic.pkg.leaflet as leaflet

    return Path(leaflet.BASE_DIR)


def _files(root: Path, suffixes: frozenset[str]) -> Iterator[tuple[str, Path]]:
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix in suffixes:
            yield path.relative_to(root).as_posix(), path


def served_files() -> dict[str, Path]:
    """URL path under /web/ -> file: the page's own assets and Leaflet's (no source maps)."""
    files = dict(_files(STATIC, frozenset({".js", ".css", ".json", ".svg"})))
    for name, path in _files(leaflet_dir(), frozenset({".js", ".css", ".png"})):
        if name in ("leaflet.js", "leaflet.css") or name.startswith("images/"):
            files[f"leaflet/{name}"] = path
    return files


def _answer(path: Path) -> FileResponse:
    return FileResponse(path, media_type=_TYPES[path.suffix], headers=HEADERS)


def router(home: object = None) -> APIRouter:
    """The dashboard's routes; `home` is unused (the page reads the other routes)."""
    api = APIRouter(tags=["dashboard"], include_in_schema=False)
    files = served_files()

    @api.api_route("/", methods=["GET", "HEAD"])
    def page() -> FileResponse:
        return _answer(STATIC / "index.html")

    @api.api_route("/web/{name:path}", methods=["GET", "HEAD"])
    def asset(name: str) -> FileResponse:
        path = files.get(name)
        if path is None:
            raise HTTPException(404, f"/web/{name}: no such file")
        return _answer(path)

    return api
