"""A queue consumer is told each of its queues' maxReceiveCount (topology.MAX_RECEIVES_ENV), the number the
queue's redrive policy uses: the sender records a message as dead-lettered when its last receive fails."""

from __future__ import annotations

import json

from infra_synth import of_type

from smsflows import topology


def test_each_consumer_gets_the_redrive_limit_of_the_queues_it_consumes_and_no_other_function_does(
    synthesized, resources
):
    functions = of_type(resources, "AWS::Lambda::Function")
    for spec in topology.FUNCTIONS:
        function = synthesized.stack.functions[spec.name].function
        variables = functions[synthesized.stack.get_logical_id(function.node.default_child)]["Properties"][
            "Environment"
        ]["Variables"]
        if not spec.consumes:
            assert topology.MAX_RECEIVES_ENV not in variables, spec.name
            continue
        limits = json.loads(variables[topology.MAX_RECEIVES_ENV])
        assert limits == {key: topology.QUEUES[key].max_receive_count for key in spec.consumes}, spec.name
    # and the queues' redrive policies use the same numbers
    for key, queue in synthesized.stack.queues.items():
        props = resources[synthesized.stack.get_logical_id(queue.queue.node.default_child)]["Properties"]
        assert props["RedrivePolicy"]["maxReceiveCount"] == topology.QUEUES[key].max_receive_count
