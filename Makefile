# Convenience targets; README's two commands are the canonical ones.
.PHONY: setup setup-airflow report report-zh test lint sample clean

setup:
	bash scripts/setup.sh

setup-airflow:
	bash scripts/setup_airflow.sh

report: setup
	.venv/bin/churn-report run --config data/sample/report.yml

report-zh: setup
	.venv/bin/churn-report run --config data/sample/report.yml --language zh

test: setup setup-airflow
	.venv/bin/ruff check src tests examples
	.venv/bin/python -m pytest -q -n 2 --dist worksteal

lint:
	.venv/bin/ruff check src tests examples && .venv/bin/ruff format --check src tests examples

sample: setup
	.venv/bin/churn-report sample --out data/sample

clean:
	rm -rf reports/*/ reports/_failed reports/.staging-* .pytest_cache
