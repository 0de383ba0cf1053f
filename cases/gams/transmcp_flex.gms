$title Transport equilibrium with price-responsive demand (after GAMS model library TRANSMCP, SEQ=126)
$onText
TRANSMCP's second model: demand at market j is b(j) (pbar(j)/p(j))**esub(j), calibrated so that at the
reference prices pbar (the fixed-demand equilibrium prices of transmcp.gms) it equals b(j). The equilibrium
therefore replicates the fixed-demand one.

Written for sharedeq after the GAMS model library model TRANSMCP (its model equilqty; pbar, which the
original computes from the first solve, is given here as data).
$offText

Set
   i 'canning plants' / seattle, san-diego /
   j 'markets'        / new-york, chicago, topeka /;

Parameter
   a(i)    'plant capacity in cases'        / seattle 350, san-diego 600 /
   b(j)    'demand at unit prices'          / new-york 325, chicago 300, topeka 275 /
   esub(j) 'price elasticity of demand'     / new-york 1.5, chicago 1.2, topeka 2.0 /
   pbar(j) 'reference prices (fixed-demand equilibrium)' / new-york 0.225, chicago 0.153, topeka 0.126 /;

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
   prdemand(j) 'price-responsive demand at market j';

profit(i,j).. w(i) + c(i,j) =g= p(j);
supply(i)..   a(i) =g= sum(j, x(i,j));
prdemand(j).. sum(i, x(i,j)) =g= b(j)*(pbar(j)/p(j))**esub(j);

Model equilqty / profit.x, supply.w, prdemand.p /;

p.l(j) = 1;
w.l(i) = 1;

solve equilqty using mcp;
display x.l, p.l, w.l;
