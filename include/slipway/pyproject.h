/* What a Python project says of itself, for slipway init's gates: the
 * coverage floor its own configuration sets, and what flake8 finds today. */
#ifndef SLIPWAY_PYPROJECT_H
#define SLIPWAY_PYPROJECT_H

#include <stdbool.h>

/* The coverage floor the project in dir sets itself: --cov-fail-under in
 * pytest's addopts (pytest.ini, pyproject.toml, tox.ini, setup.cfg, the
 * first pytest reads), else coverage.py's fail_under (.coveragerc,
 * setup.cfg, tox.ini, pyproject.toml, the first coverage.py reads).
 * *where says where ("setup.cfg [coverage:report] fail_under"; allocated).
 * False when it sets none between 0 and 100. */
bool sw_py_coverage_floor(const char *dir, double *percent, char **where);

/* Runs `python -m flake8 --extend-exclude .venv` in dir, as the lint stage
 * will: the number of findings, or -1 with *why (allocated) when flake8
 * could not run or did not finish within timeout_ms. */
int sw_py_flake8_findings(const char *dir, const char *python, int timeout_ms, char **why);

#endif
