$title Cournot oligopoly of five firms (after GAMS model library OLIGOMCP, SEQ=133)
$onText
Five firms with costs f(q) = c q + beta/(beta+1) l**(-1/beta) q**((beta+1)/beta) sell into a market with
demand 5000 p**(-1.1); each firm's first-order condition is paired with its output, market clearing with
the price (Murphy, Sherali and Soyster, Mathematical Programming 24, 1982; Harker, Mathematical
Programming 30, 1984).

Written for sharedeq after the GAMS model library model OLIGOMCP. As there, the table data ends without
a semicolon (the next declaration ends it).
$offText

Set f 'firms' / f1*f5 /;

Table data(f,*) 'cost function data'
          c     l     beta
   f1    10     5     1.2
   f2     8     5     1.1
   f3     6     5     1.0
   f4     4     5     0.9
   f5     2     5     0.8

Parameter c(f), l(f), beta(f);
c(f) = data(f,"c"); l(f) = data(f,"l"); beta(f) = data(f,"beta");

Positive Variable
   p    'price'
   q(f) 'supply';

Equation
   demand    'supply - demand balance'
   profit(f) 'Nash first-order condition';

demand..    sum(f, q(f)) =g= 5000*p**(-1.1);

profit(f).. c(f) + (q(f)/l(f))**(1/beta(f)) =g= p - q(f)*p**2.1/5500;

Model oligop / demand.p, profit.q /;

q.l(f) = 10;
p.l    = (5000/sum(f, q.l(f)))**(1/1.1);

solve oligop using mcp;
