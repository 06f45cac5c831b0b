"""A module.run_command double."""


class FakeRun:
    """A module.run_command double: maps argument tuples (or their prefixes) to (rc, out, err)."""

    def __init__(self, answers=None, default=(127, "", "No such file or directory")):
        self.answers = dict(answers or {})
        self.default = default
        self.calls = []

    def __call__(self, args, **kwargs):
        self.calls.append(list(args))
        key = tuple(args)
        for length in range(len(key), 0, -1):
            if key[:length] in self.answers:
                answer = self.answers[key[:length]]
                if isinstance(answer, Exception):
                    raise answer
                return answer
        return self.default
