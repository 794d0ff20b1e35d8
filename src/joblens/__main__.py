from joblens.cli import run

run()
