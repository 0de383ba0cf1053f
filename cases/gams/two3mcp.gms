$title A 2 x 2 x 2 general equilibrium model (after GAMS model library TWO3MCP, SEQ=131)
$onText
Two factors, two CES sectors, two households with CES demand (Shoven and Whalley, Applied General
Equilibrium Models, Journal of Economic Literature 22, 1984). The reference case: no taxes, labor is the
numeraire.

Written for sharedeq after the GAMS model library model TWO3MCP (its first solve, the reference case).
As there, the table e ends without a semicolon (the next declaration ends it).
$offText

Set
   f 'factors'    / labor, capital /
   s 'sectors'    / mfrs, nonmfrs /
   h 'households' / rich, poor /;

Alias (s,ss), (f,ff);

Parameter sigmac(h) 'elasticity of substitution in demand' / rich 1.5, poor 0.75 /;

Table alpha(s,h) 'demand shares'
              rich   poor
   mfrs       0.5    0.3
   nonmfrs    0.5    0.7 ;

Table e(f,h) 'factor endowments'
              rich   poor
   labor              60
   capital    25
*

Parameter phi(s) 'production scale' / mfrs 1.5, nonmfrs 2.0 /;

Table delta(f,s) 'factor shares'
              mfrs   nonmfrs
   labor      0.6    0.7
   capital    0.4    0.3 ;

Parameter sigma(s) 'elasticity of factor substitution' / mfrs 2.0, nonmfrs 0.5 /;

Parameter
   tshr(h) 'share of tax revenue'
   t(f,s)  'ad valorem factor tax';
tshr(h) = 0;
t(f,s)  = 0;

positive
variables
   W(f) 'factor price'
   P(s) 'commodity price'
   Y(s) 'output'
   I(h) 'income';

Equation
   fmkt(f)   'factor market'
   cmkt(s)   'commodity market'
   profit(s) 'zero profit'
   income(h) 'income balance';

fmkt(f)..   sum(h, e(f,h)) =g=
            sum(s, Y(s)*phi(s)**(sigma(s) - 1)
                   *(delta(f,s)*(sum(ff, delta(ff,s)**sigma(s)*(W(ff)*(1 + t(ff,s)))**(1 - sigma(s)))
                                 **(1/(1 - sigma(s)))/phi(s))
                     /(W(f)*(1 + t(f,s))))**sigma(s));

cmkt(s)..   Y(s) =g= sum(h, (I(h)/sum(ss, alpha(ss,h)*P(ss)**(1 - sigmac(h))))
                            *alpha(s,h)*(1/P(s))**sigmac(h));

profit(s).. sum(f, delta(f,s)**sigma(s)*(W(f)*(1 + t(f,s)))**(1 - sigma(s)))**(1/(1 - sigma(s)))/phi(s)
               =g= P(s);

income(h).. I(h) =g= sum(f, e(f,h)*W(f))
                   + tshr(h)*sum((s,f), t(f,s)*W(f)*Y(s)*phi(s)**(sigma(s) - 1)
                        *(delta(f,s)*(sum(ff, delta(ff,s)**sigma(s)*(W(ff)*(1 + t(ff,s)))**(1 - sigma(s)))
                                      **(1/(1 - sigma(s)))/phi(s))
                          /(W(f)*(1 + t(f,s))))**sigma(s));

Model jel / fmkt.W, cmkt.P, profit.Y, income.I /;

W.lo(f) = 0.0001;
P.lo(s) = 0.0001;
W.l(f)  = 1;
P.l(s)  = 1;
Y.l(s)  = 10;
I.l(h)  = sum(f, W.l(f)*e(f,h));

W.fx("labor") = 1;
solve jel using mcp;
