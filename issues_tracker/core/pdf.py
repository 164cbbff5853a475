"""HTML → PDF with WeasyPrint, fetching nothing but the app's own static files.

The weekly log prints text that participants typed. Templates autoescape it, and
as a second wall the renderer's URL fetcher refuses every URL that is not a file
inside the static folder: no network, no data: URIs, no other file on the disk.
"""

from __future__ import annotations

import functools
import logging
import mimetypes
import os
from urllib.parse import unquote, urlsplit

logger = logging.getLogger(__name__)


class RefusedURL(ValueError):
    """The renderer asked for something outside the static folder."""


# WeasyPrint is imported when the first PDF is rendered, not with the app: it takes over half a
# second to import, and the app servers and most commands never render one.
@functools.cache
def _fetcher_class() -> type:
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):
        """A WeasyPrint URL fetcher that serves files from one folder and refuses the rest.

        Refusals are logged and remembered in ``refused`` (WeasyPrint itself carries on
        without the resource, so a hostile URL costs a missing picture, not the log).
        """

        def __init__(self, static_folder: str):
            super().__init__(allow_redirects=False, fail_on_errors=False)
            self.root = os.path.realpath(static_folder)
            self.served: list[str] = []
            self.refused: list[str] = []

        def fetch(self, url, headers=None):
            path = self._local_path(url)
            if path is None:
                self.refused.append(url)
                logger.warning("PDF renderer refused to fetch %.200s", url)
                raise RefusedURL(f"only the app's static files may be used in a PDF, not {url[:200]}")
            with open(path, "rb") as handle:
                body = handle.read()
            self.served.append(url)
            content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
            return URLFetcherResponse(url, body, {"Content-Type": content_type})

        def _local_path(self, url: str) -> str | None:
            """The real path of a file: URL inside the static folder, else None."""
            parts = urlsplit(url)
            if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
                return None
            # realpath resolves "..", symlinks and doubled slashes before the containment check.
            path = os.path.realpath(unquote(parts.path))
            if not path.startswith(self.root + os.sep) or not os.path.isfile(path):
                return None
            return path

    return StaticOnlyFetcher


def __getattr__(name: str):
    if name == "StaticOnlyFetcher":  # the class, made when first asked for
        return _fetcher_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def static_base_url(static_folder: str) -> str:
    """The base URL that relative links in print templates resolve against."""
    return "file://" + os.path.realpath(static_folder).rstrip(os.sep) + "/"


def html_to_pdf(html: str, static_folder: str, *, fetcher=None) -> bytes:
    """Render an HTML string to PDF bytes; relative URLs resolve inside static_folder.
    `fetcher`: a StaticOnlyFetcher to use (and read afterwards), else a new one."""
    from weasyprint import HTML

    fetcher = fetcher or _fetcher_class()(static_folder)
    document = HTML(string=html, base_url=static_base_url(static_folder), url_fetcher=fetcher)
    return document.write_pdf()

