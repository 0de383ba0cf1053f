$title Scarf's activity analysis economy (after GAMS model library SCARFMCP, SEQ=132)
$onText
Six commodities, five consumers with CES demand, eight linear activities (Scarf and Hansen, The
Computation of Economic Equilibria, Yale University Press, 1973). Prices p(c), activity levels y(s) and
incomes i(h) solve market clearing, zero profit and income balance; agent1's income is the numeraire.

Written for sharedeq after the GAMS model library model SCARFMCP. As there, the tables e and d end
without a semicolon (the next declaration ends them).
$offText

Set
   c 'commodities' / capeop, nondurbl, durable, capbop, skillab, unsklab /
   h 'consumers'   / agent1*agent5 /
   s 'sectors'     / d1, d2, n1, n2, n3, cd, c1, c2 /;

Alias (c,cc);

Table e(c,h) 'endowments'
            agent1  agent2  agent3  agent4  agent5
   capbop      3      0.1     2       1       6
   skillab     5      0.1     6       0.1     0.1
   unsklab     0.1    7       0.1     8       0.5
   durable     1      2       1.5     1       2

Table d(c,h) 'reference demands'
            agent1  agent2  agent3  agent4  agent5
   capeop      4      0.4     2       5       3
   skillab     0.2            0.5
   unsklab            0.6             0.2     0.2
   nondurbl    2      4       2       5       4
   durable     3.2    1       1.5     4.5     2

Parameter esub(h) 'elasticity of substitution in demand'
   / agent1 1.2, agent2 1.6, agent3 0.8, agent4 0.5, agent5 0.6 /;

Table data(*,c,s) 'activity analysis matrix'
                      d1     d2     n1     n2     n3
   output.nondurbl                  6.0    8.0    7.0
   output.durable     4.0    3.5
   output.capeop      4.0    4.0    1.6    1.6    1.6
   input .capbop      5.3    5.0    2.0    2.0    2.0
   input .skillab     2.0    1.0    2.0    4.0    1.0
   input .unsklab     1.0    6.0    3.0    1.0    8.0

   +                  cd     c1     c2
   output.capeop      0.9    7.0    8.0
   input .capbop      1.0    4.0    5.0
   input .skillab            3.0    2.0
   input .unsklab            1.0    8.0 ;

Parameter
   alpha(c,h) 'demand share'
   a(c,s)     'net output per unit of activity';
alpha(c,h) = d(c,h)/sum(cc, d(cc,h));
a(c,s)     = data("output",c,s) - data("input",c,s);

positive
variables
   p(c) 'price'
   y(s) 'activity level'
   i(h) 'income';

Equation
   mkt(c)    'market clearing'
   profit(s) 'zero profit'
   income(h) 'income balance';

mkt(c)..    sum(s, a(c,s)*y(s)) + sum(h, e(c,h)) =g=
               sum(h$(esub(h) ne 1), (i(h)/sum(cc, alpha(cc,h)*p(cc)**(1 - esub(h))))
                                     *alpha(c,h)*(1/p(c))**esub(h))
             + sum(h$(esub(h) eq 1), i(h)*alpha(c,h)/p(c));

profit(s).. -sum(c, a(c,s)*p(c)) =g= 0;

income(h).. i(h) =g= sum(c, p(c)*e(c,h));

Model scarf / mkt.p, profit.y, income.i /;

p.l(c) = 1;
y.l(s) = 1;
i.l(h) = sum(c, p.l(c)*e(c,h));
p.lo(c) = 0.00001$(smax(h, alpha(c,h)) gt eps);

* agent1's income is the numeraire
i.fx(h)$(ord(h) eq 1) = i.l(h);

solve scarf using mcp;
