$title Braess's paradox: the network after the new road c -> b
$onText
The network of braess.gms with a fifth road c -> b (time 10 + flow). At the new user equilibrium each of
the three paths a-b-d, a-c-d and a-c-b-d carries 2 units and takes 92, more than the 83 of the old
network: Braess's paradox.

Written for sharedeq after PrincetonLib/Traffic Equilibrium/Indexed_models/braess.gms of GAMS World (its
second solve, with the new road, as a model of its own).
$offText

Set i 'intersections' / a, b, c, d /;
Alias (j,i);
Set
   origin(i) / a /
   destin(i) / d /
   other(i)
   roads(i,j) / a.b, a.c, b.d, c.d, c.b /;
other(i) = yes$(not origin(i) and not destin(i));

Parameter demand 'trips from a to d';
demand = 6;

Parameter fixed_time(i,j), factor(i,j);
fixed_time('a','b') = 50;   factor('a','b') = 1;
fixed_time('a','c') = 0;    factor('a','c') = 10;
fixed_time('b','d') = 0;    factor('b','d') = 10;
fixed_time('c','d') = 50;   factor('c','d') = 1;
fixed_time('c','b') = 10;   factor('c','b') = 1;

Positive Variable Flow(i,j);
Variable obj;

Equation balance(i), arrive, leave, defobj;

defobj..  obj =e= sum((i,j)$roads(i,j), fixed_time(i,j)*Flow(i,j) + 1/2*factor(i,j)*sqr(Flow(i,j)));
leave..   sum((i,j)$(origin(i) and roads(i,j)), Flow(i,j)) =e= demand;
arrive..  sum((i,j)$(destin(j) and roads(i,j)), Flow(i,j)) =e= demand;
balance(i)$other(i).. sum(j$roads(i,j), Flow(i,j)) =e= sum(j$roads(j,i), Flow(j,i));

Model braess / all /;

solve braess using nlp minimizing obj;
display Flow.l;
