$title Transport equilibrium with fixed demand (after GAMS model library TRANSMCP, SEQ=126)
$onText
Dantzig's transport model as a complementarity problem: a shipment x(i,j) is made only at zero profit,
a plant's shadow price w(i) is positive only when its capacity binds, a market price p(j) only when its
demand binds. Data of Dantzig (1963), Linear Programming and Extensions, ch. 3.3.

Written for sharedeq after the GAMS model library model TRANSMCP (fixed-quantity model, its first solve).
$offText

Set
   i 'canning plants' / seattle, san-diego /
   j 'markets'        / new-york, chicago, topeka /;

Parameter
   a(i) 'plant capacity in cases' / seattle 350, san-diego 600 /
   b(j) 'market demand in cases'  / new-york 325, chicago 300, topeka 275 /;

Table d(i,j) 'distance in thousands of miles'
              new-york  chicago  topeka
   seattle       2.5      1.7      1.8
   san-diego     2.5      1.8      1.4;

Scalar f 'freight in dollars per case per thousand miles' / 90 /;

Parameter c(i,j) 'transport cost in thousands of dollars per case';
c(i,j) = f*d(i,j)/1000;

Positive Variable
   w(i)   'shadow price at plant i'
   p(j)   'price at market j'
   x(i,j) 'shipment in cases';

Equation
   profit(i,j) 'zero profit of shipping from i to j'
   supply(i)   'capacity of plant i'
   fxdemand(j) 'fixed demand at market j';

profit(i,j).. w(i) + c(i,j) =g= p(j);
supply(i)..   a(i) =g= sum(j, x(i,j));
fxdemand(j).. sum(i, x(i,j)) =g= b(j);

Model fixedqty / profit.x, supply.w, fxdemand.p /;

p.l(j) = 1;
w.l(i) = 1;

solve fixedqty using mcp;
display x.l, p.l, w.l;
