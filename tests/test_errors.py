import pickle

from churnreport.errors import ConfigError, InputError


def test_an_input_error_crosses_processes_whole():
    # a run loads its data in a process of its own: the error the user reads comes through
    # pickling, with the file, column, example rows and hint it was raised with
    exc = InputError("c.csv", "dates do not parse", "start", [(3, "31/02/2024")], "use ISO dates")
    back = pickle.loads(pickle.dumps(exc))
    assert type(back) is InputError and str(back) == str(exc)
    assert (back.path, back.column, back.rows, back.hint) == (
        "c.csv",
        "start",
        [(3, "31/02/2024")],
        "use ISO dates",
    )
    assert str(pickle.loads(pickle.dumps(ConfigError("no sources")))) == "no sources"
