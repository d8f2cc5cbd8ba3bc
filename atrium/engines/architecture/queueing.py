"""M/M/c queueing: the latency a pool of c identical servers adds at a given load.

Why M/M/c: it is the simplest model in which latency stays flat at low utilization and
climbs steeply as utilization nears 1, which is the behaviour a capacity review has to
show; its inputs (arrival rate, service time, servers) are exactly what the capacity
model knows. Arrivals are Poisson at rate lam, service times exponential with mean 1/mu,
c servers; the offered load is a = lam/mu erlangs and the utilization rho = a/c.

Erlang C, the probability that an arrival has to wait:

    C(c, a) = (a^c / c!) * c / (c - a)
              / ( sum_{k=0}^{c-1} a^k / k!  +  (a^c / c!) * c / (c - a) )

computed through Erlang B, B(c, a) = (a^c / c!) / sum_{k=0}^{c} a^k / k!, as
C = c * B / (c - a * (1 - B)). The mean wait is Wq = C / (c * mu - lam) and the mean
response time W = Wq + 1/mu. With rho >= 1 the queue grows without bound: W is infinite.

B is a ratio of Poisson(a) probabilities, P(N = c) / P(N <= c). Summing the terms
downward from k = c (t_{k-1} = t_k * k / a) and stopping once they are negligible takes
O(sqrt(a) + c - a) steps instead of O(c); when c lies more than 12 standard deviations
above a, P(N <= c) is 1 to double precision and B is P(N = c), from lgamma. This keeps a
CDN's 2,500 servers or a fleet of thousands of vCPUs cheap to evaluate.
"""

from __future__ import annotations

import math

_NEGLIGIBLE = 1e-17


def erlang_b(c: int, a: float) -> float:
    """Blocking probability of an M/M/c/c loss system (the building block of Erlang C)."""
    if c < 1:
        raise ValueError("Erlang B needs at least one server.")
    if a <= 0.0:
        return 0.0
    if c > a + 12.0 * math.sqrt(a) + 10.0:
        return math.exp(c * math.log(a) - a - math.lgamma(c + 1))
    total = term = 1.0
    for k in range(c, 0, -1):
        term *= k / a
        total += term
        if k < a and term < total * _NEGLIGIBLE:
            break
    return 1.0 / total  # an overflowed (infinite) total means B is 0 to double precision


def erlang_c(c: int, a: float) -> float:
    """Probability of waiting in an M/M/c queue with offered load `a` erlangs; 1 if a >= c."""
    if a <= 0.0:
        return 0.0
    if a >= c:
        return 1.0
    b = erlang_b(c, a)
    return c * b / (c - a * (1.0 - b))


def mmc_response_time(servers: int, arrival_rate: float, service_time: float) -> float:
    """Mean time in system (wait + service), in the unit of `service_time`; inf if saturated."""
    if arrival_rate <= 0.0:
        return service_time
    offered = arrival_rate * service_time
    if offered >= servers:
        return math.inf
    wait = erlang_c(servers, offered) * service_time / (servers - offered)
    return wait + service_time


__all__ = ["erlang_b", "erlang_c", "mmc_response_time"]
