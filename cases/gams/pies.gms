$title PIES energy equilibrium: a linear program with price-dependent demand (after EMPLIB PIES, SEQ=56)
$onText
The Project Independence Evaluation System model (Hogan, Energy policy models for Project Independence,
Computers and Operations Research 2, 1975; Josephy, A Newton method for the PIES energy model, 1979; MCPLIB,
Dirkse and Ferris 1995). A cost-minimizing LP supplies coal, light and heavy oil to two regions; the demand
side depends on the prices p, which are the duals of the demand rows: EMP 'dualvar p dembal' says so.

Written for sharedeq after the EMP library model PIES (Michael Ferris and Steven Dirkse, 2010) as kept in
the ReSHOP test suite (test/gams/dualvar/pies.gms), first solve.
$offText

Set
   comod 'commodities'             / C 'coal', L 'light oil', H 'heavy oil' /
   R     'resources'               / C 'capital', S 'steel' /
   creg  'coal regions'            / 1*2 /
   oreg  'crude oil regions'       / 1*2 /
   ctyp  'coal production steps'   / 1*3 /
   otyp  'oil production steps'    / 1*2 /
   refin 'refineries'              / 1*2 /
   users 'consumption regions'     / 1*2 /;
Alias (comod,cc);

Parameter
   rmax(R)         'resource limit'          / C 35000, S 12000 /
   cmax(creg,ctyp) 'coal production limit'   / 1.1 300, 1.2 300, 1.3 400, 2.1 200, 2.2 300, 2.3 600 /
   omax(oreg,otyp) 'oil production limit'    / 1.1 1100, 1.2 1200, 2.1 1300, 2.2 1100 /
   rcost(refin)    'refining cost'           / 1 6.5, 2 5 /
   q0(comod)       'base demand'             / C 1000, L 1200, H 1000 /
   p0(comod)       'base price'              / C 12, L 16, H 12 /
   output(refin,*) 'light and heavy output shares' / 1.L .6, 1.H .4, 2.L .5, 2.H .5 /;

Table esub(comod,cc) 'cross elasticities of demand'
          C      L      H
   C    -.75    .1     .2
   L     .1    -.5     .2
   H     .2     .1    -.5 ;

Table cruse(R,creg,ctyp) 'resource use in coal production'
          1      2      3
   C.1    1      5     10
   C.2    1      5      6
   S.1    1      2      3
   S.2    1      4      5 ;

Table oruse(R,oreg,otyp) 'resource use in oil production'
          1      2
   C.1    0     10
   C.2    0     15
   S.1    0      4
   S.2    0      2 ;

Table ccost(creg,ctyp) 'coal production cost'
          1      2      3
   1      5      6      8
   2      4      5      7 ;

Table ocost(oreg,otyp) 'oil production cost'
          1      2
   1      1      1.5
   2      1.25   1.5 ;

Table ctcost(creg,users) 'coal transport cost'
          1      2
   1      1      2.5
   2      .75    2.75 ;

Table otcost(oreg,refin) 'crude transport cost'
          1      2
   1      2      3
   2      4      2 ;

Table ltcost(refin,users) 'light oil transport cost'
          1      2
   1      1      1.2
   2      1      1.5 ;

Table htcost(refin,users) 'heavy oil transport cost'
          1      2
   1      1      1.2
   2      1      1.5 ;

Positive Variable
   c(creg,ctyp)    'coal production'
   o(oreg,otyp)    'oil production'
   ct(creg,users)  'coal shipments'
   ot(oreg,refin)  'crude shipments'
   lt(refin,users) 'light oil shipments'
   ht(refin,users) 'heavy oil shipments'
   p(comod,users)  'prices';
Variable obj 'total cost';

c.up(creg,ctyp) = cmax(creg,ctyp);
o.up(oreg,otyp) = omax(oreg,otyp);

Equation
   defobj              'total cost'
   dembal(comod,users) 'supply covers the price-dependent demand'
   cmbal(creg)         'coal balance'
   ombal(oreg)         'crude balance'
   lmbal(refin)        'light oil balance'
   hmbal(refin)        'heavy oil balance'
   ruse(R)             'resource use';

defobj.. obj =e= sum((creg,ctyp), ccost(creg,ctyp)*c(creg,ctyp))
               + sum((oreg,otyp), ocost(oreg,otyp)*o(oreg,otyp))
               + sum((creg,users), ctcost(creg,users)*ct(creg,users))
               + sum((oreg,refin), (otcost(oreg,refin) + rcost(refin))*ot(oreg,refin))
               + sum((refin,users), ltcost(refin,users)*lt(refin,users))
               + sum((refin,users), htcost(refin,users)*ht(refin,users));

dembal(comod,users)..
     sum(creg, ct(creg,users))$sameas(comod,'C')
   + sum(refin, lt(refin,users))$sameas(comod,'L')
   + sum(refin, ht(refin,users))$sameas(comod,'H')
   =g= q0(comod)*prod(cc, (p(cc,users)/p0(cc))**esub(comod,cc));

cmbal(creg)..  sum(ctyp, c(creg,ctyp)) =e= sum(users, ct(creg,users));
ombal(oreg)..  sum(otyp, o(oreg,otyp)) =e= sum(refin, ot(oreg,refin));
lmbal(refin).. sum(oreg, ot(oreg,refin))*output(refin,'L') =e= sum(users, lt(refin,users));
hmbal(refin).. sum(oreg, ot(oreg,refin))*output(refin,'H') =e= sum(users, ht(refin,users));
ruse(R)..      rmax(R) =g= sum((creg,ctyp), c(creg,ctyp)*cruse(R,creg,ctyp))
                         + sum((oreg,otyp), o(oreg,otyp)*oruse(R,oreg,otyp));

Model piesemp / defobj, dembal, cmbal, ombal, lmbal, hmbal, ruse /;

Table iprice(comod,users) 'starting prices'
          1      2
   C    11.7   13.7
   L    15.8   16.0
   H    11.9   12.4 ;

p.lo(comod,users) = .1;
p.l(comod,users)  = iprice(comod,users);

File myinfo / '%emp.info%' /;
putclose myinfo 'dualVar p dembal';

solve piesemp using emp minimizing obj;
display p.l, dembal.m;
