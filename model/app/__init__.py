"""The policymakers' what-if app (Solara) and the pieces it shares with the HTML report.

- :mod:`model.app.text`: labels and help texts in Bahasa Indonesia and English
  (``model/i18n/*.toml``) and number formatting per language.
- :mod:`model.app.logic`: scenario choice, controls generated from the scenario definitions,
  the what-if ``[[policy]]``, replications through :func:`model.run`, bands and differences.
  Plain Python, testable without a browser.
- :mod:`model.app.plots`: matplotlib figures used by the page and by the report.
- :mod:`model.app.page`: the Solara page (imports Solara; start it with ``egovsim app``).
"""
