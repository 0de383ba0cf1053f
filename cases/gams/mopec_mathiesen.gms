$title Mathiesen's Walrasian economy as a MOPEC
$onText
One consumer maximizes a Cobb-Douglas utility over three goods subject to a budget; one activity turns
good 1 into goods 2 and 3 at zero profit; prices clear the markets (Mathiesen, An algorithm based on a
sequence of linear complementarity problems applied to a Walrasian equilibrium model: an example,
Mathematical Programming 37, 1987). Good 2 is the numeraire. As in the published model, demands and prices
are kept at or above 1 (the utility has log terms), so the equilibrium differs from the paper's
(y = 3, p = (6, 1, 5), x = (3, 2, 0)) in the third good.

Written for sharedeq after the MOPEC model of Youngdae Kim (2016) as kept in the ReSHOP test suite
(test/gams/equilibrium/mopec_mathiesen.gms), first solve.
$offText

Set i 'commodities' / 1*3 /;

Parameter
   ATmat(i) 'technology matrix' / 1 1, 2 -1, 3 -1 /
   s(i)     'budget share'      / 1 0.9, 2 0.1, 3 0 /
   b(i)     'endowment'         / 1 0, 2 5, 3 3 /;

Variable u 'utility';
Positive Variable
   y    'activity level'
   x(i) 'demand'
   p(i) 'price';

Equation
   mkt(i) 'market clearing'
   profit 'zero profit of the activity'
   udef   'Cobb-Douglas utility'
   budget 'budget constraint';

mkt(i).. b(i) + ATmat(i)*y - x(i) =g= 0;
profit.. sum(i, -ATmat(i)*p(i)) =g= 0;
udef..   u =e= sum(i, s(i)*log(x(i)));
budget.. sum(i, p(i)*x(i)) =l= sum(i, p(i)*b(i));

Model mopec / mkt, profit, udef, budget /;

p.fx('2') = 1;
p.lo(i) = 1;
x.l(i)  = 1;
x.lo(i) = 1;

File empinfo / '%emp.info%' /;
putclose empinfo 'equilibrium' / 'max u x udef budget' / 'vi mkt p profit y' /;

solve mopec using emp;
