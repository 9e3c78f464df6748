"""What the report, the app and ``egovsim run`` show, computed and worded one way.

- :mod:`model.present.text`: labels in Bahasa Indonesia and English (``model/i18n``), numbers
  as each language writes them.
- :mod:`model.present.numbers`: bands, paired differences, official labels, groups, the
  comparison table.
- :mod:`model.present.marks`: official bands, method changes, observations as the calibration
  reads them.
- :mod:`model.present.sentences`: sentences built from the numbers with the grammar of the case.
- :mod:`model.present.plots`: figures (matplotlib, no pyplot).
- :mod:`model.present.exports`: CSV, XLSX, ``differences.csv`` and PNG files.
- :mod:`model.present.safe`: escaping of text from files before it reaches a page.
"""
