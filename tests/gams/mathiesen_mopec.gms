$title Mathiesen's Walrasian economy as a MOPEC (consumer, producer, markets)
$onText
Three goods, one activity that makes good 1 from one unit each of goods 2 and 3, a Cobb-Douglas consumer
with budget shares 0.9 and 0.1 (none for good 3) and endowments (0, 5, 3); good 2 is the numeraire.
Mathiesen (Math. Programming 37, 1987) gives the equilibrium y = 3, p = (6, 1, 5), x = (3, 2, 0).
$offText

Set i goods / 1*3 /;

Parameters
    a(i)     'activity: output (+) and inputs (-)' / 1 1, 2 -1, 3 -1 /
    share(i) 'budget shares'                       / 1 0.9, 2 0.1 /
    endow(i) 'endowments'                          / 2 5, 3 3 /;

Variable u 'utility';
Positive Variables y 'activity level', x(i) 'demand', p(i) 'prices';

Equations market(i), profit, utility, budget;

market(i).. endow(i) + a(i)*y - x(i) =g= 0;
profit..    sum(i, -a(i)*p(i)) =g= 0;
utility..   u =e= sum(i$share(i), share(i)*log(x(i)));
budget..    sum(i, p(i)*x(i)) =l= sum(i, p(i)*endow(i));

Model mopec / market, profit, utility, budget /;

p.fx('2') = 1;
x.l(i) = 1;
p.l(i) = 1;

file info / '%emp.info%' /;
putclose info 'equilibrium' / 'max u x utility budget' / 'vi market p profit y' /;

solve mopec using emp;
