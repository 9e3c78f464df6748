"""The policymakers' what-if app (Solara).

- :mod:`model.app.logic`: scenario choice, controls generated from the scenario definitions,
  the what-if ``[[policy]]``, replications through :func:`model.run`, the headline numbers.
  Plain Python, testable without a browser.
- :mod:`model.app.page`: the Solara page (imports Solara; start it with ``egovsim app``).

Texts, numbers, figures and exports shared with the report live in :mod:`model.present`.
"""
